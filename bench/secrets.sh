#!/usr/bin/env bash
# Times `chainwarden secrets scan` on a large source tree against `git grep -E` with the same
# token patterns (POSIX ERE forms of our keyword rules), side by side.
#
#   bench/secrets.sh [DIR]     (default: the unpacked crates in ~/.cargo/registry/src)
#
# git grep runs with --no-index over the same files. Needs hyperfine.
set -euo pipefail
DIR="${1:-$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/ 2>/dev/null | head -1)}"
[[ -n "$DIR" && -d "$DIR" ]] || { echo "no tree to scan: pass DIR (default: the unpacked crates of the cargo registry)" >&2; exit 2; }
DIR="$(realpath -- "$DIR")"
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "install hyperfine first (apt-get install hyperfine)" >&2; exit 2; }
CW="$(scripts/release-binary.sh)"
patterns="$(mktemp)"; trap 'rm -f "$patterns"' EXIT
cat > "$patterns" <<'PAT'
-----BEGIN ([A-Z]+ )*PRIVATE KEY( BLOCK)?-----
gh[pousr]_[A-Za-z0-9]{36,255}
github_pat_[A-Za-z0-9_]{50,255}
glpat-[A-Za-z0-9_-]{20,}
(AKIA|ASIA)[0-9A-Z]{16}
[Aa][Ww][Ss]_[Ss][Ee][Cc][Rr][Ee][Tt]_[Aa][Cc][Cc][Ee][Ss][Ss]_[Kk][Ee][Yy]["']?[[:space:]]*[:=][[:space:]]*["']?[A-Za-z0-9/+=]{40}
AIza[0-9A-Za-z_-]{35}
xox[abposr]-[0-9A-Za-z-]{10,}
[sr]k_live_[0-9A-Za-z]{24,}
npm_[A-Za-z0-9]{36}
pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}
cio[A-Za-z0-9]{32}
[A-Za-z0-9_.-]*([Aa][Pp][Ii][_-]?[Kk][Ee][Yy]|[Ss][Ee][Cc][Rr][Ee][Tt]|[Tt][Oo][Kk][Ee][Nn]|[Pp][Aa][Ss][Ss][Ww][Oo][Rr][Dd])[A-Za-z0-9_.-]*["']?[[:space:]]*[:=][[:space:]]*["']?[A-Za-z0-9/+_=.~-]{16,}
PAT
echo "tree: $DIR ($(find "$DIR" -type f | wc -l) files, $(du -sh "$DIR" | cut -f1)); $(nproc) cores; $(git --version)"
mkdir -p bench/out
hyperfine --warmup 1 --runs 5 -i --export-markdown bench/out/secrets.md \
  -n "chainwarden secrets scan" "$CW --no-record secrets scan $DIR --format json -o /dev/null" \
  -n "git grep -E (same patterns)" "git -C $DIR grep --no-index -I -E -c -f $patterns -- . > /dev/null"

#!/usr/bin/env bash
# Times `chainwarden audit` against `cargo audit` on a lockfile of over 1,000 packages, with
# the same advisory database, side by side in hyperfine runs.
#
#   bench/audit.sh [LOCKFILE]     (default: bench/fixtures/big/Cargo.lock, 1,235 packages)
#
# chainwarden runs as users run it: its managed database cache, installed by
# `chainwarden db update` (here from an archive of the shared snapshot served on 127.0.0.1).
# cargo-audit reads the same snapshot with --db --no-fetch. Both skip the yanked check.
#   warm: files in the page cache (a CI runner's second audit, a developer's machine)
#   cold: the page cache is dropped before every run (needs root; otherwise says so)
#   first run on an unmanaged --db directory (no index yet) is timed too.
# Needs hyperfine (apt-get install hyperfine) and cargo-audit (installed into /tmp/cargo-audit
# when absent).
set -euo pipefail
LOCK="$(realpath -m -- "${1:-$(dirname "$0")/fixtures/big/Cargo.lock}")"
DB="$(realpath -m -- "${DB:-${CHAINWARDEN_TEST_DATA:-$(dirname "$0")/../../shared/data}/advisory-db}")"
cd "$(dirname "$0")/.."
# Cheap checks before the slow steps (building, installing cargo-audit).
command -v hyperfine >/dev/null || { echo "install hyperfine first (apt-get install hyperfine)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "python3 is needed (it serves the database archive)" >&2; exit 2; }
[[ -d "$DB/crates" ]] || { echo "no advisory database at $DB: set DB=DIR or CHAINWARDEN_TEST_DATA=DIR" >&2; exit 2; }
[[ -f "$LOCK" ]] || { echo "no lockfile at $LOCK" >&2; exit 2; }
CW="$(scripts/release-binary.sh)"
CARGO_AUDIT="${CARGO_AUDIT:-$(command -v cargo-audit || echo /tmp/cargo-audit/bin/cargo-audit)}"
if [[ ! -x "$CARGO_AUDIT" ]]; then
  echo "installing cargo-audit into /tmp/cargo-audit (a few minutes) ..." >&2
  cargo install cargo-audit --locked --root /tmp/cargo-audit
  CARGO_AUDIT=/tmp/cargo-audit/bin/cargo-audit
fi
work="$(mktemp -d)"
export CHAINWARDEN_CACHE_DIR="$work/cache"
server_pid=
trap '[[ -n "$server_pid" ]] && kill "$server_pid"; rm -rf "$work"' EXIT

# Serve the snapshot as a git-archive-like tarball and install it with `db update`.
mkdir -p "$work/www/advisory-db-main"
cp -r "$DB/crates" "$DB/rust" "$work/www/advisory-db-main/"
tar -C "$work/www" -czf "$work/www/db.tar.gz" advisory-db-main
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$work/www" >/dev/null 2>&1 &
server_pid=$!
sleep 1
"$CW" db update --url "http://127.0.0.1:$port/db.tar.gz"

echo "lockfile: $LOCK ($(grep -c '^\[\[package\]\]' "$LOCK") packages); $(nproc) cores; $("$CARGO_AUDIT" --version)"
drop='sync; echo 3 > /proc/sys/vm/drop_caches'
if ! bash -c "$drop" 2>/dev/null; then echo "(cannot drop the page cache here: cold runs are warm)"; drop=true; fi
mkdir -p bench/out

hyperfine -N --warmup 3 --runs 40 -i --export-markdown bench/out/audit-warm.md \
  -n "chainwarden (human)" "$CW audit --offline --lockfile-only $LOCK" \
  -n "cargo-audit (human)" "$CARGO_AUDIT audit --db $DB --no-fetch --stale --no-yanked -f $LOCK" \
  -n "chainwarden (json)" "$CW audit --offline --lockfile-only --format json $LOCK" \
  -n "cargo-audit (json)" "$CARGO_AUDIT audit --db $DB --no-fetch --stale --no-yanked --json -f $LOCK"

hyperfine -N --runs 10 -i --export-markdown bench/out/audit-cold.md --prepare "bash -c '$drop'" \
  -n "chainwarden (cold)" "$CW audit --offline --lockfile-only $LOCK" \
  -n "cargo-audit (cold)" "$CARGO_AUDIT audit --db $DB --no-fetch --stale --no-yanked -f $LOCK"

hyperfine -N --runs 10 -i --export-markdown bench/out/audit-first.md \
  --prepare "bash -c 'rm -rf $CHAINWARDEN_CACHE_DIR/index'" \
  -n "chainwarden --db DIR, first run (parses, writes index)" "$CW audit --offline --lockfile-only --db $DB $LOCK" \
  -n "cargo-audit" "$CARGO_AUDIT audit --db $DB --no-fetch --stale --no-yanked -f $LOCK"

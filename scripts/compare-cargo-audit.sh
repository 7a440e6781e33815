#!/usr/bin/env bash
# Compares `chainwarden audit` with cargo-audit on the same lockfiles and advisory database.
#
#   scripts/compare-cargo-audit.sh [LOCKFILE...]      (default: every $DATA/lockfiles/*/Cargo.lock)
#
# Environment: CHAINWARDEN_TEST_DATA (the shared data, default ../shared/data), DB (advisory
# database dir, default $DATA/advisory-db), CARGO_AUDIT (a cargo-audit binary; installed into
# /tmp/cargo-audit when absent). The chainwarden binary is found wherever cargo builds it
# (CARGO_TARGET_DIR is fine).
# Compares the sets of (advisory id, package, version) for vulnerabilities and for
# unmaintained/unsound warnings, prints every difference, exits 1 on any.
set -euo pipefail
# Paths given by the user are relative to where they ran the script.
args=(); for a in "$@"; do args+=("$(realpath -m -- "$a")"); done; set -- "${args[@]}"
[[ -n "${DB:-}" ]] && DB="$(realpath -m -- "$DB")"
[[ -n "${CHAINWARDEN_TEST_DATA:-}" ]] && CHAINWARDEN_TEST_DATA="$(realpath -m -- "$CHAINWARDEN_TEST_DATA")"
cd "$(dirname "$0")/.."
DATA="${CHAINWARDEN_TEST_DATA:-../shared/data}"
DB="${DB:-$DATA/advisory-db}"
if (($# == 0)); then set -- "$DATA"/lockfiles/*/Cargo.lock; fi
# Everything cheap is checked before the slow steps (installing cargo-audit takes minutes).
command -v python3 >/dev/null || { echo "python3 is needed to compare the reports" >&2; exit 2; }
[[ -d "$DB/crates" ]] || { echo "no advisory database at $DB: set DB=DIR or CHAINWARDEN_TEST_DATA=DIR" >&2; exit 2; }
for lock in "$@"; do
  [[ -f "$lock" ]] || { echo "no lockfile at $lock" >&2; exit 2; }
done
CW="$(scripts/release-binary.sh)"
CARGO_AUDIT="${CARGO_AUDIT:-$(command -v cargo-audit || echo /tmp/cargo-audit/bin/cargo-audit)}"
if [[ ! -x "$CARGO_AUDIT" ]]; then
  echo "installing cargo-audit into /tmp/cargo-audit (a few minutes) ..." >&2
  cargo install cargo-audit --locked --root /tmp/cargo-audit >&2
  CARGO_AUDIT=/tmp/cargo-audit/bin/cargo-audit
fi
echo "cargo-audit: $("$CARGO_AUDIT" audit --version 2>/dev/null || "$CARGO_AUDIT" --version)"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
status=0
for lock in "$@"; do
  "$CARGO_AUDIT" audit --db "$DB" --no-fetch --stale --no-yanked --json -f "$lock" > "$work/theirs.json" 2>/dev/null || true
  "$CW" audit --db "$DB" --offline --lockfile-only --format json "$lock" > "$work/ours.json" || [[ $? == 1 ]]
  python3 - "$lock" "$work/theirs.json" "$work/ours.json" <<'PY' || status=1
import json, sys
lock, theirs, ours = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
t = lambda e: (e["advisory"]["id"], e["package"]["name"], e["package"]["version"])
their_v = {t(v) for v in theirs["vulnerabilities"]["list"]}
their_w = {t(w) for k in ("unmaintained", "unsound") for w in theirs["warnings"].get(k, [])}
mine = lambda kinds: {(f["advisory_id"], f["package"], f["version"]) for f in ours["findings"] if f["kind"] in kinds}
our_v, our_w = mine({"vulnerability"}), mine({"unmaintained", "unsound"})
diffs = [(name, sorted(a - b), sorted(b - a)) for name, a, b in (("vulnerabilities", their_v, our_v), ("warnings", their_w, our_w)) if a != b]
print(f"{'DIFF' if diffs else 'same'}  {lock}: {len(our_v)} vulnerabilities, {len(our_w)} unmaintained/unsound")
for name, only_theirs, only_ours in diffs:
    print(f"   {name}: only cargo-audit {only_theirs}; only chainwarden {only_ours}")
sys.exit(1 if diffs else 0)
PY
done
exit $status

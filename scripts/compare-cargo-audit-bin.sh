#!/usr/bin/env bash
# Compares `chainwarden audit --binary` with `cargo audit bin` (cargo-audit 0.22.2) on the same
# advisory database, and records cargo-audit's output as the fixtures tests/integration/shipped.rs
# compares against.
#
#   scripts/compare-cargo-audit-bin.sh
#
# The binaries:
# - tests/fixtures/auditable/vulnapp built with `cargo auditable build` (a real ELF);
# - one WebAssembly module per shared lockfile (../shared/data/lockfiles/*/Cargo.lock) whose
#   `.dep-v0` section lists every package of that lockfile (written by this script into
#   tests/fixtures/auditable/lockfile-wasm/, committed): the embedded-data path of both tools
#   over hundreds of real packages.
# Environment: CW (a chainwarden binary; default: built in debug), DB (default ../shared/data/advisory-db), CARGO_AUDIT (a cargo-audit 0.22.2 binary;
# installed into /tmp/cargo-audit when absent). Prints every difference, exits 1 on any.
set -euo pipefail
cd "$(dirname "$0")/.."
DB="${DB:-../shared/data/advisory-db}"
CARGO_AUDIT="${CARGO_AUDIT:-$(command -v cargo-audit || echo /tmp/cargo-audit/bin/cargo-audit)}"
if [[ ! -x "$CARGO_AUDIT" ]]; then
  echo "installing cargo-audit 0.22.2 into /tmp/cargo-audit ..." >&2
  cargo install cargo-audit --version 0.22.2 --locked --root /tmp/cargo-audit >&2
  CARGO_AUDIT=/tmp/cargo-audit/bin/cargo-audit
fi
command -v cargo-auditable >/dev/null || cargo install cargo-auditable --locked >&2
OUT=tests/fixtures/auditable
WASM="$OUT/lockfile-wasm"
RECORDED="$OUT/cargo-audit-bin"
mkdir -p "$WASM" "$RECORDED"

work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cargo auditable build --locked --quiet --manifest-path "$OUT/vulnapp/Cargo.toml" --target-dir "$work/target"
cp "$work/target/debug/vulnapp" "$work/vulnapp"

# One module per lockfile: every package, flat (lockfiles may hold dev-dependency cycles,
# which the format forbids; edges do not change findings).
python3 - "$WASM" ../shared/data/lockfiles/*/Cargo.lock <<'PY'
import json, pathlib, sys, tomllib, zlib
out = pathlib.Path(sys.argv[1])
def leb(n):
    b = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        b.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(b)
for lock in sys.argv[2:]:
    name = pathlib.Path(lock).parent.name
    packages = []
    for p in tomllib.loads(pathlib.Path(lock).read_text())["package"]:
        src = p.get("source")
        kind = "local" if src is None else "git" if src.startswith("git+") else \
            "crates.io" if "crates.io-index" in src or "index.crates.io" in src else "registry"
        packages.append({"name": p["name"], "version": p["version"], "source": kind})
    data = zlib.compress(json.dumps({"packages": packages}, separators=(",", ":")).encode(), 9)
    body = leb(len(b".dep-v0")) + b".dep-v0" + data
    (out / f"{name}.wasm").write_bytes(b"\0asm\x01\0\0\0" + b"\0" + leb(len(body)) + body)
PY

if [[ -z "${CW:-}" ]]; then cargo build --quiet; CW=target/debug/chainwarden; fi
echo "$("$CARGO_AUDIT" audit --version 2>/dev/null || "$CARGO_AUDIT" --version)"
status=0
for bin in "$work/vulnapp" "$WASM"/*.wasm; do
  name=$(basename "$bin" .wasm)
  "$CARGO_AUDIT" audit --db "$DB" --no-fetch --stale --no-yanked --json bin "$bin" > "$RECORDED/$name.json" 2>/dev/null || true
  "$CW" audit --db "$DB" --offline --format json --binary "$bin" > "$work/ours.json" || [[ $? == 1 ]]
  python3 - "$name" "$RECORDED/$name.json" "$work/ours.json" <<'PY' || status=1
import json, sys
name, theirs, ours = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
t = lambda e: (e["advisory"]["id"], e["package"]["name"], e["package"]["version"])
their_v = {t(v) for v in theirs["vulnerabilities"]["list"]}
their_w = {t(w) for k in ("unmaintained", "unsound") for w in theirs["warnings"].get(k, [])}
mine = lambda kinds: {(f["advisory_id"], f["package"], f["version"]) for f in ours["findings"] if f["kind"] in kinds}
our_v, our_w = mine({"vulnerability"}), mine({"unmaintained", "unsound"})
diffs = [(k, sorted(a - b), sorted(b - a)) for k, a, b in (("vulnerabilities", their_v, our_v), ("warnings", their_w, our_w)) if a != b]
print(f"{'DIFF' if diffs else 'same'}  {name}: {len(our_v)} vulnerabilities, {len(our_w)} unmaintained/unsound, {ours['lockfile']['package_count']} packages")
for k, only_theirs, only_ours in diffs:
    print(f"   {k}: only cargo-audit {only_theirs}; only chainwarden {only_ours}")
sys.exit(1 if diffs else 0)
PY
done
exit $status

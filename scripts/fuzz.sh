#!/usr/bin/env bash
# Runs every cargo-fuzz target for a bounded time: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Seeds come from ../shared/data (copied into fuzz/corpus/, which is not committed). Needs
# cargo-fuzz (`cargo install cargo-fuzz --locked`); libFuzzer needs nightly features, enabled
# here on the stable toolchain with RUSTC_BOOTSTRAP=1. Exits non-zero when a target finds a
# crash (its input is left in fuzz/artifacts/TARGET/).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
shift || true
data="${CHAINWARDEN_TEST_DATA:-$(cd .. && pwd)/shared/data}"
targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=(lockfile_readers_agree policy_parse checksum_manifest bundle_json evidence_import redaction provenance_statement)
fi
command -v cargo-fuzz >/dev/null || { echo "cargo-fuzz missing: cargo install cargo-fuzz --locked" >&2; exit 2; }
[[ -d "$data" ]] || { echo "seed data missing at $data (set CHAINWARDEN_TEST_DATA)" >&2; exit 2; }
export RUSTC_BOOTSTRAP=1
# CHAINWARDEN_FUZZ_DEV=1: `cargo fuzz --dev` (no optimisation of chainwarden itself; its
# dependencies keep fuzz/Cargo.toml's opt-level 2), to time a cheaper build on CI.
profile=()
[[ "${CHAINWARDEN_FUZZ_DEV:-0}" == 1 ]] && profile=(--dev)

# Seeds: small real inputs of each kind (files over 1 MiB are left out: libFuzzer caps inputs).
seed() {
  local target="$1"; shift
  local dir="fuzz/corpus/$target"
  mkdir -p "$dir"
  local f
  for f in "$@"; do
    [[ -f "$f" && $(stat -c %s "$f") -le 1048576 ]] || continue
    cp -f "$f" "$dir/$(sha256sum "$f" | cut -c1-16)"
  done
}
mapfile -t lockfiles < <(find "$data/lockfiles" -name Cargo.lock)
mapfile -t jsons < <(find "$data/provenance" "$data/sigstore-conformance" "$data/sigstore-trust" -type f \( -name '*.json' -o -name '*.jsonl' -o -name '*.sigstore' \) | head -200)
seed lockfile_readers_agree "${lockfiles[@]}"
seed policy_parse policies/*.toml
seed checksum_manifest $(find tests/fixtures -type f \( -iname '*sums*' -o -name '*.json' \) 2>/dev/null | head -50)
seed bundle_json "${jsons[@]}"
seed evidence_import $(find tests/fixtures -type f -name '*.jsonl' 2>/dev/null | head -20)
seed redaction README.md "${lockfiles[0]}"
# Real provenance of every kind slsa-verifier reads (v0.2, BYOB v1, container-based, GitHub
# attestations, bare DSSE), plus each statement alone (the decoded payload), so mutations
# reach the statement reader and not only the bundle parser.
mapfile -t provenance < <(find "$data/provenance" -type f \( -name '*.jsonl' -o -name '*.slsa' -o -name '*.json' \))
seed provenance_statement "${provenance[@]}"
for f in "${provenance[@]}"; do
  [[ $(stat -c %s "$f") -le 1048576 ]] || continue
  out="fuzz/corpus/provenance_statement/$(sha256sum "$f" | cut -c1-16).statement"
  python3 -c 'import base64,json,sys
for line in open(sys.argv[1], "rb"):
    try: d = json.loads(line)
    except ValueError: continue
    env = d.get("dsseEnvelope", d) if isinstance(d, dict) else {}
    if isinstance(env, dict) and isinstance(env.get("payload"), str):
        sys.stdout.buffer.write(base64.b64decode(env["payload"])); break' "$f" >"$out" 2>/dev/null || true
  [[ -s "$out" ]] || rm -f "$out"
done

status=0
for t in "${targets[@]}"; do
  echo "== fuzz $t for ${seconds}s"
  # No sanitizer: our code forbids `unsafe`, and what we hunt (panics, aborts, hangs, memory
  # growth) libFuzzer catches without one; the build is faster and runs go about twice as fast.
  if ! cargo fuzz run "${profile[@]}" --sanitizer none "$t" "fuzz/corpus/$t" -- \
      -max_total_time="$seconds" -rss_limit_mb=1024 -timeout=10 -max_len=1048576 -print_final_stats=1; then
    echo "!! $t failed: a crash (its input is in fuzz/artifacts/$t/) or a build error above" >&2
    status=1
  fi
done
exit "$status"

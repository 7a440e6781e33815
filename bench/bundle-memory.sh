#!/usr/bin/env bash
# Memory of `verify bundle` on a large artifact: the artifact is streamed (hashed in 1 MiB
# chunks, then read by the engine), so the peak RSS must not grow with the artifact's size.
#
#   bench/bundle-memory.sh [SIZE]      (default 1G; a sparse file, so no disk is used)
#
# Uses the debug build unless CHAINWARDEN names another binary. The bundle is the conformance
# suite's happy-path v0.3 (signed over another artifact), so the verdict is "failed": the
# figure is what reading the whole artifact costs. Needs GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="$(cd "${CHAINWARDEN_TEST_DATA:-../shared/data}" && pwd)"
CASES="$DATA/sigstore-conformance/bundle-verify"
BIN="${CHAINWARDEN:-target/debug/chainwarden}"
[[ -x "$BIN" ]] || cargo build --quiet
big="$(mktemp)"; trap 'rm -f "$big"' EXIT
truncate -s "${1:-1G}" "$big"
/usr/bin/time -f "artifact ${1:-1G}: max RSS %M KiB, %e s" "$BIN" --no-record verify bundle "$big" \
  --bundle "$CASES/happy-path-v0.3/bundle.sigstore.json" \
  --certificate-identity "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main" \
  --certificate-oidc-issuer https://token.actions.githubusercontent.com >/dev/null || true

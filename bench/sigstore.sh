#!/usr/bin/env bash
# Sigstore bundle verification: chainwarden vs sigstore-python, on the same bundles.
#
#   bench/sigstore.sh
#
# 1. Verdicts: every keyless conformance case (../shared/data/sigstore-conformance) through
#    `sigstore verify identity --offline` (custom roots through its global --trust-config) and
#    through chainwarden's conformance adapter; prints each tool's agreement with the expected
#    verdict and every case where the two tools disagree. (sigstore-python's CLI has no
#    --key, so the managed-key cases are chainwarden-only.)
# 2. Speed: hyperfine times one verification, whole process, side by side.
# sigstore-python is installed from PyPI into a venv under /tmp. Needs hyperfine.
set -euo pipefail
DATA="$(realpath -m -- "${CHAINWARDEN_TEST_DATA:-$(dirname "$0")/../../shared/data}")"
cd "$(dirname "$0")/.."
CASES="$DATA/sigstore-conformance/bundle-verify"
# Cheap checks before the slow steps (building, installing sigstore-python).
command -v hyperfine >/dev/null || { echo "install hyperfine first (apt-get install hyperfine)" >&2; exit 2; }
[[ -d "$CASES" ]] || { echo "no conformance cases at $CASES: set CHAINWARDEN_TEST_DATA=DIR" >&2; exit 2; }
CHAINWARDEN="$(scripts/release-binary.sh)"
export CHAINWARDEN CHAINWARDEN_NO_RECORD=1
VENV=/tmp/chainwarden-sigstore-python
[[ -x "$VENV/bin/sigstore" ]] || { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q sigstore; }
SIGSTORE="$VENV/bin/sigstore"
ADAPTER="$PWD/conformance/chainwarden-conformance"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
ID_DEFAULT="https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
ISS_DEFAULT="https://token.actions.githubusercontent.com"

trust_config() { # trusted_root.json -> client trust config for sigstore-python
  python3 - "$1" "$DATA/sigstore-trust/public-good/signing_config.v0.2.json" <<'PY'
import json, sys
print(json.dumps({"mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
                  "trustedRoot": json.load(open(sys.argv[1])), "signingConfig": json.load(open(sys.argv[2]))}))
PY
}
trust_config "$DATA/sigstore-trust/public-good/trusted_root.json" > "$work/production.json"

echo "$("$SIGSTORE" --version); chainwarden $("$CHAINWARDEN" --version | cut -d' ' -f2)"
total=0; ours_ok=0; theirs_ok=0; disagree=0
for case in "$CASES"/*/; do
  name=$(basename "$case")
  [[ -f "$case/key.pub" ]] && continue
  artifact="$CASES/a.txt"; [[ -f "$case/artifact" ]] && artifact="$case/artifact"
  id=$ID_DEFAULT; [[ -f "$case/identity" ]] && id=$(cat "$case/identity")
  iss=$ISS_DEFAULT; [[ -f "$case/issuer" ]] && iss=$(cat "$case/issuer")
  tc="$work/production.json"; root=()
  if [[ -f "$case/trusted_root.json" ]]; then trust_config "$case/trusted_root.json" > "$work/$name.json"; tc="$work/$name.json"; root=(--trusted-root "$case/trusted_root.json"); fi
  expect=pass; [[ "$name" == *_fail ]] && expect=fail
  theirs=fail; "$SIGSTORE" --trust-config "$tc" verify identity --offline --bundle "$case/bundle.sigstore.json" \
    --cert-identity "$id" --cert-oidc-issuer "$iss" "$artifact" >/dev/null 2>&1 && theirs=pass
  ours=fail; "$ADAPTER" verify-bundle --bundle "$case/bundle.sigstore.json" --certificate-identity "$id" \
    --certificate-oidc-issuer "$iss" "${root[@]}" "$artifact" >/dev/null 2>&1 && ours=pass
  total=$((total + 1))
  [[ $ours == "$expect" ]] && ours_ok=$((ours_ok + 1))
  [[ $theirs == "$expect" ]] && theirs_ok=$((theirs_ok + 1))
  if [[ $ours != "$theirs" ]]; then disagree=$((disagree + 1)); echo "  differ: $name (expected $expect): chainwarden $ours, sigstore-python $theirs"; fi
done
echo "keyless cases: $total; expected verdict: chainwarden $ours_ok/$total, sigstore-python $theirs_ok/$total; the tools disagree on $disagree"

B="$CASES/happy-path-v0.3/bundle.sigstore.json"
mkdir -p bench/out
hyperfine -N --warmup 2 --runs 30 --export-markdown bench/out/sigstore.md \
  -n "chainwarden verify bundle" "$CHAINWARDEN verify bundle $CASES/a.txt --bundle $B --certificate-identity $ID_DEFAULT --certificate-oidc-issuer $ISS_DEFAULT" \
  -n "sigstore-python verify identity --offline" "$SIGSTORE --trust-config $work/production.json verify identity --offline --bundle $B --cert-identity $ID_DEFAULT --cert-oidc-issuer $ISS_DEFAULT $CASES/a.txt"

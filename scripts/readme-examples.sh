#!/usr/bin/env bash
# Walks the README's examples as a new user would, on this checkout (a fresh clone), with or
# without CARGO_TARGET_DIR set: builds (debug, to spare the cores), installs into a private
# root, then runs each documented command on the shared data. Prints every command and its
# exit code; ends with `git status` of the checkout, which must be empty (nothing written
# into the project).
#
#   git clone . /tmp/fresh && cd /tmp/fresh && scripts/readme-examples.sh
#   CARGO_TARGET_DIR=/tmp/elsewhere scripts/readme-examples.sh
set -u
cd "$(dirname "$0")/.."
D="$(realpath -m -- "${CHAINWARDEN_TEST_DATA:-../shared/data}")"
[[ -d "$D/advisory-db" ]] || { echo "no shared data at $D: set CHAINWARDEN_TEST_DATA=DIR" >&2; exit 2; }
export CHAINWARDEN_TEST_DATA=$D
W="$(mktemp -d)"; trap 'rm -rf "$W"' EXIT
step() { echo; echo "=== $*"; }
run() { echo "\$ $*"; "$@"; echo "-> exit $?"; }
step build
run cargo build --locked -q
TD=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys;print(json.load(sys.stdin)["target_directory"])')
echo "target_directory: $TD"
mkdir -p "$W/bin"; ln -sf "$TD/debug/chainwarden" "$W/bin/chainwarden"; export PATH="$W/bin:$PATH"
step "top: the main job (debug build instead of --release to spare the cores)"
run cargo run --locked -q -- audit --db $D/advisory-db --no-record
step "top: the main job without --db (downloads the database; offline, the error says what to do)"
CHAINWARDEN_CACHE_DIR=$W/cache CHAINWARDEN_HTTP_TIMEOUT=5 run cargo run --locked -q -- audit --no-record
step "install (debug, into a private root)"
run cargo install --locked --path . --debug --root "$W/root" -q
run "$W/root/bin/chainwarden" --version
step audit examples
run chainwarden --no-record audit --db $D/advisory-db --offline --lockfile-only --format json -o $W/a.json .
run chainwarden --no-record audit --db $D/advisory-db --format sarif --output $W/a.sarif $D/lockfiles/real-ripgrep-2019
run chainwarden --no-record audit --db $D/advisory-db --format markdown $D/lockfiles/real-ripgrep-2019/Cargo.lock | head -3
step "db status"
run chainwarden db status --db $D/advisory-db
run chainwarden db status --db $D/advisory-db --format json
step checksums
mkdir -p $W/rel; echo a > $W/rel/a.bin; echo b > $W/rel/b.bin
run chainwarden checksums $W/rel -o $W/SHA256SUMS
(cd $W/rel && run sha256sum -c ../SHA256SUMS)
run chainwarden --no-record verify checksums $W/SHA256SUMS --dir $W/rel
step "verify rebuild (the README's crate example)"
run cargo package --offline --no-verify -q
mkdir -p $W/dist; cp "$TD/package/chainwarden-0.1.0.crate" $W/dist/
run chainwarden --no-record verify rebuild --published $W/dist/ --rebuild 'cargo package --offline --no-verify' --source . --rebuilt target/package
step "sigstore bundle"
C=$D/sigstore-conformance/bundle-verify
run chainwarden --no-record verify bundle $C/a.txt --bundle $C/happy-path-v0.3/bundle.sigstore.json --certificate-identity https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main --certificate-oidc-issuer https://token.actions.githubusercontent.com
step "secrets"
run chainwarden --no-record secrets scan .
step "commits (no [commits] policy)"
run chainwarden --no-record verify commits --range HEAD~2..HEAD
step "evidence and report"
run chainwarden --evidence $W/ev.db --tenant acme --project demo audit --db $D/advisory-db --offline --lockfile-only --now 2026-10-02 $D/lockfiles/real-ripgrep-2019 > /dev/null
run chainwarden --evidence $W/ev.db evidence export --output $W/ev.jsonl
run chainwarden --evidence $W/ev2.db evidence import $W/ev.jsonl
run chainwarden --evidence $W/ev2.db --tenant acme --project demo report --quarter 2026-Q4 --now 2027-01-05 --format markdown --output $W/r.md
head -5 $W/r.md
step "git status of the clone (nothing written into it)"
git status --short

#!/usr/bin/env bash
# Builds chainwarden in release mode and prints the path of the binary, wherever cargo puts it
# (CARGO_TARGET_DIR, CARGO_BUILD_TARGET_DIR, a target dir in .cargo/config.toml): the path
# comes from cargo's own build messages, never from a guess like `target/release`.
#
#   CW="$(scripts/release-binary.sh)"
set -euo pipefail
cd "$(dirname "$0")/.."
command -v python3 >/dev/null || { echo "python3 is needed to read cargo's build messages" >&2; exit 2; }
cargo build --release --locked --quiet --bin chainwarden --message-format=json-render-diagnostics |
  python3 -c '
import json, sys
exe = None
for line in sys.stdin:
    try:
        msg = json.loads(line)
    except ValueError:
        continue
    if msg.get("reason") == "compiler-artifact" and msg.get("target", {}).get("name") == "chainwarden" and msg.get("executable"):
        exe = msg["executable"]
if not exe:
    sys.exit("cargo build did not report the chainwarden binary")
print(exe)
'

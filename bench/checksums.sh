#!/usr/bin/env bash
# Times `chainwarden verify checksums` against openssl and coreutils, side by side.
#
#   bench/checksums.sh
#
# 1. one 1 GiB file: chainwarden vs `openssl dgst -sha256` (which uses the CPU's SHA extensions)
# 2. a release of 200 files, ~500 MiB: chainwarden (parallel on all cores) vs openssl hashing
#    them one after another vs `sha256sum -c`
# 3. peak memory (RSS) of chainwarden on the 1 GiB file, with /usr/bin/time.
# Data is generated under a temp dir (page-cached), never committed. Needs hyperfine.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "install hyperfine first (apt-get install hyperfine)" >&2; exit 2; }
CW="$(scripts/release-binary.sh)"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
mkdir -p "$work/one" "$work/release" bench/out
head -c $((1 << 30)) /dev/urandom > "$work/one/big.bin"
(cd "$work/one" && sha256sum big.bin > SHA256SUMS)
for i in $(seq -w 1 200); do head -c $(( (10#$i * 37 % 50 + 1) * 100000 )) /dev/urandom > "$work/release/artifact-$i.bin"; done
(cd "$work/release" && sha256sum artifact-*.bin > SHA256SUMS)
echo "release: $(ls "$work/release" | wc -l) files, $(du -sh "$work/release" | cut -f1); $(nproc) cores; $(openssl version)"

hyperfine --warmup 1 --runs 5 --export-markdown bench/out/checksums-1gib.md \
  -n "chainwarden verify checksums (1 GiB)" "$CW verify checksums --quiet $work/one/SHA256SUMS" \
  -n "openssl dgst -sha256 (1 GiB)" "openssl dgst -sha256 $work/one/big.bin" \
  -n "sha256sum -c (1 GiB)" "cd $work/one && sha256sum -c --quiet SHA256SUMS"

hyperfine --warmup 1 --runs 5 --export-markdown bench/out/checksums-release.md \
  -n "chainwarden verify checksums (200 files)" "$CW verify checksums --quiet $work/release/SHA256SUMS" \
  -n "openssl dgst -sha256, one after another" "cd $work/release && for f in artifact-*.bin; do openssl dgst -sha256 \$f; done > /dev/null" \
  -n "sha256sum -c (200 files)" "cd $work/release && sha256sum -c --quiet SHA256SUMS"

/usr/bin/time -f "peak RSS: %M KiB (1 GiB file)" "$CW" verify checksums --quiet "$work/one/SHA256SUMS" > /dev/null
/usr/bin/time -f "peak RSS: %M KiB (200 files)" "$CW" verify checksums --quiet "$work/release/SHA256SUMS" > /dev/null

#!/usr/bin/env bash
# Times `chainwarden report` over a quarter of daily audits of a 1,235-package project.
#
#   bench/report.sh
#
# Records 90 daily audits of bench/fixtures/big/Cargo.lock (with --now, into a fresh store),
# then times the report in each format with hyperfine. Target: under 2 seconds.
set -euo pipefail
DB="$(realpath -m -- "${DB:-${CHAINWARDEN_TEST_DATA:-$(dirname "$0")/../../shared/data}/advisory-db}")"
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "install hyperfine first (apt-get install hyperfine)" >&2; exit 2; }
[[ -d "$DB/crates" ]] || { echo "no advisory database at $DB: set DB=DIR or CHAINWARDEN_TEST_DATA=DIR" >&2; exit 2; }
CW="$(scripts/release-binary.sh)"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
export CHAINWARDEN_EVIDENCE="$work/evidence.db" CHAINWARDEN_CACHE_DIR="$work/cache"
start=$(date +%s)
for i in $(seq 0 89); do
  day=$(date -u -d "2026-10-01 +$i days" +%Y-%m-%dT06:00:00Z)
  "$CW" --tenant acme --project big audit --offline --lockfile-only --db "$DB" --now "$day" \
    --format json bench/fixtures/big/Cargo.lock > /dev/null || [[ $? == 1 ]]
done
echo "recorded 90 audits of $(grep -c '^\[\[package\]\]' bench/fixtures/big/Cargo.lock) packages in $(( $(date +%s) - start )) s; store $(du -ch "$CHAINWARDEN_EVIDENCE"* | tail -1 | cut -f1) (with its WAL)"
mkdir -p bench/out
hyperfine --warmup 1 --runs 10 --export-markdown bench/out/report.md \
  -n "report json" "$CW --tenant acme --project big report --quarter 2026-Q4 --now 2027-01-05 --format json -o $work/r.json" \
  -n "report markdown" "$CW --tenant acme --project big report --quarter 2026-Q4 --now 2027-01-05 --format markdown -o $work/r.md" \
  -n "report html" "$CW --tenant acme --project big report --quarter 2026-Q4 --now 2027-01-05 --format html -o $work/r.html"

#!/usr/bin/env bash
# Loads a quarter of evidence for PROJECTS projects x DAYS daily audits of a 699-package
# lockfile into a SQLite store and into PostgreSQL, then times one tenant's all-projects report
# from each (the same data: one signed-off export imported into both).
#
#   PROJECTS=100 DAYS=92 bench/postgres.sh [CHAINWARDEN_BINARY]
#
# One real audit (real-nushell-2021's Cargo.lock against the shared advisory database) is
# recorded and exported; bench/postgres-quarter.py copies its line for every project and day
# (new run id, time and payload digest; each project's inventory differs by one version, so
# 100 distinct inventories are stored, each once). Loading is `evidence import` (the same
# recording path as `audit`: parse, redact, chain, one transaction per run). PostgreSQL: a
# throwaway cluster from scripts/pg-cluster.sh (fsync off: a test cluster; say so with figures).
set -euo pipefail
cd "$(dirname "$0")/.."
PROJECTS="${PROJECTS:-100}" DAYS="${DAYS:-92}"
DB="$(realpath -m -- "${CHAINWARDEN_TEST_DATA:-../shared/data}/advisory-db")"
LOCK="$(realpath -m -- "${CHAINWARDEN_TEST_DATA:-../shared/data}/lockfiles/real-nushell-2021")"
CW="$(realpath "${1:-target/debug/chainwarden}")"
work="$(mktemp -d)"; chmod 755 "$work"
trap 'scripts/pg-cluster.sh stop "$work/pg" >/dev/null 2>&1; rm -rf "$work"' EXIT
eval "$(scripts/pg-cluster.sh start "$work/pg")"
export CHAINWARDEN_CACHE_DIR="$work/cache" NO_COLOR=1
"$CW" --evidence "$work/seed.db" --tenant acme --project seed audit --offline --lockfile-only \
  --db "$DB" --now 2026-10-01T06:00:00Z --format json "$LOCK" >/dev/null 2>&1 || [[ $? == 1 ]]
"$CW" --evidence "$work/seed.db" evidence export --output "$work/seed.jsonl"
mkdir "$work/quarter"
python3 bench/postgres-quarter.py "$work/seed.jsonl" "$PROJECTS" "$DAYS" "$work/quarter"
echo "runs: $(cat "$work"/quarter/*.jsonl | wc -l) ($PROJECTS projects x $DAYS days), $(grep -c '^\[\[package\]\]' "$LOCK/Cargo.lock") packages each; export $(du -sh "$work/quarter" | cut -f1)"
pg="$(echo "$CHAINWARDEN_TEST_POSTGRES" | sed 's#/postgres?#/bench?#')"
psql -q "$CHAINWARDEN_TEST_POSTGRES" -c "CREATE DATABASE bench"
"$CW" --evidence "$pg" evidence setup-postgres >/dev/null
for store in "$work/quarter.db" "$pg"; do
  name=$([[ "$store" == postgres* ]] && echo postgresql || echo sqlite)
  s=$(date +%s.%N)
  for f in "$work"/quarter/*.jsonl; do
    "$CW" --evidence "$store" evidence import --allow-unsigned "$f" 2>/dev/null
  done
  e=$(date +%s.%N)
  r0=$(date +%s.%N)
  "$CW" --evidence "$store" --tenant acme report --all-projects --quarter 2026-Q4 \
    --now 2027-01-05 --format json -o "$work/r-$name.json"
  r1=$(date +%s.%N)
  size=$([[ $name == sqlite ]] && du -ch "$work"/quarter.db* | tail -1 | cut -f1 \
    || psql -At "$pg" -c "SELECT pg_size_pretty(pg_database_size('bench'))")
  printf '%-10s load %6.1f s   all-projects report %5.1f s   store %s\n' "$name" \
    "$(echo "$e - $s" | bc)" "$(echo "$r1 - $r0" | bc)" "$size"
done
cmp <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d.pop("generated_at",None); print(json.dumps(d,sort_keys=True))' "$work/r-sqlite.json") \
    <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d.pop("generated_at",None); print(json.dumps(d,sort_keys=True))' "$work/r-postgresql.json") \
  && echo "the two reports are identical"

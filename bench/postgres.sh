#!/usr/bin/env bash
# Loads a quarter of evidence for PROJECTS projects x DAYS daily audits of a 699-package
# lockfile into a SQLite store and into PostgreSQL, then times one tenant's all-projects report
# from each (the same data: one export imported into both).
#
#   PROJECTS=100 DAYS=92 bench/postgres.sh [CHAINWARDEN_BINARY]
#
# The binary is the release build by default (scripts/release-binary.sh builds it); pass
# target/debug/chainwarden to time the debug one. Every figure is printed as wall time and as
# CPU time (user + system of chainwarden and, for PostgreSQL, of the server's backends), with
# the load average: on a shared machine the CPU time is the figure to compare.
#
# One real audit (real-nushell-2021's Cargo.lock against the shared advisory database) is
# recorded and exported; bench/postgres-quarter.py copies its line for every project and day
# (new run id, time and payload digest; each project's inventory differs by one version, so
# PROJECTS distinct inventories are stored, each once). Loading is `evidence import` of one
# file per project (the same checks as any import: parse, payload digest, typed payload,
# redaction, chain). PostgreSQL: a throwaway cluster from scripts/pg-cluster.sh (fsync off: a
# test cluster; say so with the figures).
set -euo pipefail
cd "$(dirname "$0")/.."
PROJECTS="${PROJECTS:-100}" DAYS="${DAYS:-92}"
DB="$(realpath -m -- "${CHAINWARDEN_TEST_DATA:-../shared/data}/advisory-db")"
LOCK="$(realpath -m -- "${CHAINWARDEN_TEST_DATA:-../shared/data}/lockfiles/real-nushell-2021")"
[[ -x /usr/bin/time ]] || { echo "GNU time is needed for CPU times (apt-get install time)" >&2; exit 2; }
CW="$(realpath "${1:-$(scripts/release-binary.sh)}")"
work="$(mktemp -d)"; chmod 755 "$work"
trap 'scripts/pg-cluster.sh stop "$work/pg" >/dev/null 2>&1; rm -rf "$work"' EXIT
eval "$(scripts/pg-cluster.sh start "$work/pg")"
export CHAINWARDEN_CACHE_DIR="$work/cache" NO_COLOR=1
tick=$(getconf CLK_TCK)

# CPU seconds (user + system) the PostgreSQL server spent, its exited backends included (the
# postmaster reaps them); a client's backend exits when the client disconnects.
server_cpu() {
  local pid
  pid=$(head -1 "$work/pg/data/postmaster.pid")
  awk -v t="$tick" '{ printf "%.2f", ($14 + $15 + $16 + $17) / t }' "/proc/$pid/stat"
}

# Runs "$@" under GNU time (which counts every process it waited for); sets WALL and CPU.
timed() {
  local server0 server1
  server0=$(server_cpu)
  /usr/bin/time -f '%e %U %S' -o "$work/time" "$@"
  sleep 0.5 # the postmaster reaps the last client's backend
  server1=$(server_cpu)
  read -r WALL user sys <"$work/time"
  CPU=$(echo "$user + $sys" | bc)
  SERVER=$(echo "$server1 - $server0" | bc)
}

# Imports every project's file into store $1 (a function run by `bash -c`, for GNU time).
load_files() {
  for f in "$work"/quarter/*.jsonl; do
    "$CW" --evidence "$1" evidence import --allow-unsigned "$f" 2>/dev/null
  done
}
export -f load_files
export CW work

"$CW" --evidence "$work/seed.db" --tenant acme --project seed audit --offline --lockfile-only \
  --db "$DB" --now 2026-10-01T06:00:00Z --format json "$LOCK" >/dev/null 2>&1 || [[ $? == 1 ]]
"$CW" --evidence "$work/seed.db" evidence export --output "$work/seed.jsonl"
mkdir "$work/quarter"
python3 bench/postgres-quarter.py "$work/seed.jsonl" "$PROJECTS" "$DAYS" "$work/quarter"
echo "binary: $CW"
echo "runs: $(cat "$work"/quarter/*.jsonl | wc -l) ($PROJECTS projects x $DAYS days), $(grep -c '^\[\[package\]\]' "$LOCK/Cargo.lock") packages each; export $(du -sh "$work/quarter" | cut -f1)"
pg="$(echo "$CHAINWARDEN_TEST_POSTGRES" | sed 's#/postgres?#/bench?#')"
psql -q "$CHAINWARDEN_TEST_POSTGRES" -c "CREATE DATABASE bench"
"$CW" --evidence "$pg" evidence setup-postgres >/dev/null
for store in "$work/quarter.db" "$pg"; do
  name=$([[ "$store" == postgres* ]] && echo postgresql || echo sqlite)
  load0=$(cut -d' ' -f1 /proc/loadavg)
  timed bash -c 'load_files "$1"' load_files "$store"
  load=$(printf 'load %6.1f s wall, %6.1f s CPU (+ server %5.1f s)' "$WALL" "$CPU" "$SERVER")
  timed "$CW" --evidence "$store" --tenant acme report --all-projects --quarter 2026-Q4 \
    --now 2027-01-05 --format json -o "$work/r-$name.json"
  report=$(printf 'report %5.1f s wall, %5.1f s CPU (+ server %4.1f s)' "$WALL" "$CPU" "$SERVER")
  size=$([[ $name == sqlite ]] && du -ch "$work"/quarter.db* | tail -1 | cut -f1 \
    || psql -At "$pg" -c "SELECT pg_size_pretty(pg_database_size('bench'))")
  printf '%-10s %s   all-projects %s   store %s   load average %s..%s\n' "$name" "$load" \
    "$report" "$size" "$load0" "$(cut -d' ' -f1 /proc/loadavg)"
done
cmp <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d.pop("generated_at",None); print(json.dumps(d,sort_keys=True))' "$work/r-sqlite.json") \
    <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d.pop("generated_at",None); print(json.dumps(d,sort_keys=True))' "$work/r-postgresql.json") \
  && echo "the two reports are identical"

#!/usr/bin/env bash
# Every speed figure of README's "Benchmarks: chainwarden vs the reference tools", in one run,
# side by side with the reference tool, whole process, median of $RUNS (default 9) runs, output
# to /dev/null for both tools. The runs go round-robin (bench/interleave.py: the reference and
# each chainwarden mode once per round, no shell in between, CPU time from wait4): a shared
# 2-core VM drifts by up to 50% within minutes, and hyperfine's one-command-then-the-next
# order put that drift between the two sides of a ratio.
#
#   bench/compare.sh            (prints the table; writes bench/out/compare.md and the raw JSON)
#
# Fair settings, spelled out:
# - cargo-audit 0.22.2: `cargo-audit audit --db DIR --no-fetch --stale --no-yanked --json -f LOCK`
#   on the shared RustSec snapshot; chainwarden reads the same snapshot (`--db DIR`, or its
#   managed cache installed from an archive of that snapshot), offline, yanked check off for
#   both (`--offline`), JSON output for both, `--no-record` unless the row says otherwise.
# - "first run": chainwarden's index for the directory is removed before every run (it parses
#   every advisory, like cargo-audit always does); "warm": the index exists (every later run).
# - default mode runs `cargo metadata` on bench/fixtures/big (its crates are fetched into
#   $BENCH_CARGO_HOME, default /tmp/chainwarden-bench-cargo-home, so the user's cargo home is
#   untouched): "cold" removes the graph cache before every run, "warm" keeps it.
# - verify bundle: `happy-path-v0.3` of the Sigstore conformance suite, offline, against
#   sigstore-python 4.5.1 `verify identity --offline` with the production trust root.
# - recording evidence: the same lockfile audit with and without `--no-record`, 80 rounds of
#   one each, the recorded ones into a store that already holds 80 runs (steady state: the
#   difference of the means, which include the periodic WAL truncation).
# - scaling: a 10,000-package lockfile made from the real one by bench/synth-lockfile.py.
# Prerequisites are checked first; cargo-audit (slow to build) is installed last if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-9}"
DATA="$(cd "${CHAINWARDEN_TEST_DATA:-../shared/data}" && pwd)"
DB="$DATA/advisory-db"
BIG=bench/fixtures/big
LOCK="$PWD/$BIG/Cargo.lock"
CASES="$DATA/sigstore-conformance/bundle-verify"
VENV="${SIGSTORE_VENV:-/tmp/chainwarden-sigstore-python-4.5.1}"
BENCH_CARGO_HOME="${BENCH_CARGO_HOME:-/tmp/chainwarden-bench-cargo-home}"
die() { echo "bench/compare.sh: $*" >&2; exit 2; }

# --- prerequisites, cheapest first -----------------------------------------------------------
command -v python3 >/dev/null || die "needs python3"
command -v cargo >/dev/null || die "needs cargo"
[[ -d "$DB/crates" ]] || die "no advisory database at $DB (set CHAINWARDEN_TEST_DATA)"
[[ -f "$CASES/happy-path-v0.3/bundle.sigstore.json" ]] || die "no Sigstore conformance cases under $CASES"
if ! "$VENV/bin/sigstore" --version 2>/dev/null | grep -q ' 4\.5\.1$'; then
  echo "== installing sigstore-python 4.5.1 into $VENV (benchmark only)"
  python3 -m venv "$VENV" && "$VENV/bin/pip" install -q --disable-pip-version-check sigstore==4.5.1
fi
echo "== fetching the crates of $BIG into $BENCH_CARGO_HOME (for cargo metadata)"
CARGO_HOME="$BENCH_CARGO_HOME" cargo fetch --locked --quiet --manifest-path "$BIG/Cargo.toml" \
  || die "cargo fetch failed for $BIG (default mode needs its crates)"
CARGO_AUDIT="$(command -v cargo-audit || echo "$HOME/.cargo/bin/cargo-audit")"
if ! "$CARGO_AUDIT" --version 2>/dev/null | grep -q ' 0\.22\.2$'; then
  echo "== installing cargo-audit 0.22.2 (several minutes)"
  cargo install cargo-audit --locked --version 0.22.2 --quiet
  CARGO_AUDIT="$HOME/.cargo/bin/cargo-audit"
fi

# --- build once ------------------------------------------------------------------------------
cargo build --release --locked --quiet
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
CW="$TARGET_DIR/release/chainwarden"
[[ -x "$CW" ]] || die "no binary at $CW"

work="$(mktemp -d)"
server_pid=
trap '[[ -n "$server_pid" ]] && kill "$server_pid"; rm -rf "$work"' EXIT
out="$PWD/bench/out"; mkdir -p "$out"
export CHAINWARDEN_CACHE_DIR="$work/cache" NO_COLOR=1
python3 bench/synth-lockfile.py "$LOCK" 10000 > "$work/synth.lock"
mkdir -p "$work/project"; cp -r "$BIG/Cargo.toml" "$BIG/Cargo.lock" "$BIG/src" "$work/project/"

# The managed cache: `db update` from an archive of the same snapshot, served on 127.0.0.1.
mkdir -p "$work/www/advisory-db-main" "$work/managed"
cp -r "$DB/crates" "$DB/rust" "$work/www/advisory-db-main/"
tar -C "$work/www" -czf "$work/www/db.tar.gz" advisory-db-main
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$work/www" >/dev/null 2>&1 &
server_pid=$!
for _ in $(seq 50); do python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/db.tar.gz')" 2>/dev/null && break; sleep 0.1; done
CHAINWARDEN_CACHE_DIR="$work/managed" "$CW" db update --url "http://127.0.0.1:$port/db.tar.gz" >/dev/null

# Sanity: default mode must really run cargo metadata (else the row would be a lockfile audit).
mode=$(CARGO_HOME="$BENCH_CARGO_HOME" "$CW" --no-record audit "$work/project" --db "$DB" --offline --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["settings"]["mode"])' || true)
[[ "$mode" == metadata ]] || die "default mode did not resolve with cargo metadata (mode: $mode)"

echo "lockfile: $BIG/Cargo.lock ($(grep -c '^\[\[package\]\]' "$LOCK") packages); $(nproc) cores; $("$CARGO_AUDIT" --version); $("$VENV/bin/sigstore" --version); chainwarden $("$CW" --version | cut -d' ' -f2)"
AUDIT_FLAGS="--offline --format json"
CA="$CARGO_AUDIT audit --db $DB --no-fetch --stale --no-yanked --json -f"
CWA="$CW --no-record audit"
# Each group runs round-robin (bench/interleave.py): the reference tool and every chainwarden
# mode of the group once per round, so a host that drifts during the run hits all alike.
group() { # NAME ARGS... -> $out/NAME.json
  local name=$1; shift
  python3 bench/interleave.py --out "$out/$name.json" "$@"
}

# The machine may be shared: its load before and after is printed with the figures, because
# absolute times scale with it (the ratios of side-by-side runs much less).
LOAD_START="$(date -u '+%Y-%m-%d %H:%M UTC'), $(uptime | sed 's/.*load average/load average/')"
# The warm runs and cargo-audit, round by round; the cold runs in a group of their own, after:
# a run right after a 1-second `cargo metadata` finds the CPU caches and the page cache
# churned, and came out 5 ms slower.
group lockfile --runs "$RUNS" --warmup 2 \
  "cargo-audit=$CA $LOCK" \
  "lock-db-warm=$CWA $LOCK --db $DB --lockfile-only $AUDIT_FLAGS" \
  "lock-managed=CHAINWARDEN_CACHE_DIR=$work/managed $CWA $LOCK --lockfile-only $AUDIT_FLAGS" \
  "default-warm=CARGO_HOME=$BENCH_CARGO_HOME $CWA $work/project --db $DB $AUDIT_FLAGS"
group cold --runs "$RUNS" --warmup 1 \
  --prepare "lock-db-first=rm -rf $work/cache/index" \
  --prepare "default-cold=rm -rf $work/cache/graphs" \
  "cargo-audit-cold-group=$CA $LOCK" \
  "lock-db-first=$CWA $LOCK --db $DB --lockfile-only $AUDIT_FLAGS" \
  "default-cold=CARGO_HOME=$BENCH_CARGO_HOME $CWA $work/project --db $DB $AUDIT_FLAGS"
group synth --runs "$RUNS" --warmup 1 \
  "cargo-audit-10k=$CA $work/synth.lock" \
  "synth-10k=$CWA $work/synth.lock --db $DB --lockfile-only $AUDIT_FLAGS"
# Recording in steady state: 40 rounds first (the store then holds 80 runs: each turn is an
# untimed and a timed run), then 80 measured, each round a recorded and an unrecorded run. The
# store's WAL is truncated about every fifth recorded run, so the mean carries that cost; one
# truncation costs 2.5 to 6 ms of fsyncs, which is why the mean needs the 80 rounds to settle.
group record --runs 80 --warmup 40 \
  "record-base=$CWA $LOCK --db $DB --lockfile-only $AUDIT_FLAGS" \
  "record=$CW --evidence $work/evidence.db audit $LOCK --db $DB --lockfile-only $AUDIT_FLAGS"

ID="https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
ISS="https://token.actions.githubusercontent.com"
B="$CASES/happy-path-v0.3/bundle.sigstore.json"
python3 - "$DATA/sigstore-trust/public-good/trusted_root.json" "$DATA/sigstore-trust/public-good/signing_config.v0.2.json" > "$work/trust.json" <<'PY'
import json, sys
print(json.dumps({"mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
                  "trustedRoot": json.load(open(sys.argv[1])), "signingConfig": json.load(open(sys.argv[2]))}))
PY
group bundle --runs "$RUNS" --warmup 1 \
  "sigstore-python=$VENV/bin/sigstore --trust-config $work/trust.json verify identity --offline --bundle $B --cert-identity $ID --cert-oidc-issuer $ISS $CASES/a.txt" \
  "verify-bundle=$CW --no-record verify bundle $CASES/a.txt --bundle $B --certificate-identity $ID --certificate-oidc-issuer $ISS"

LOAD_END="$(date -u '+%Y-%m-%d %H:%M UTC'), $(uptime | sed 's/.*load average/load average/')"
python3 - "$out" "$RUNS" "$(nproc)" "$LOAD_START" "$LOAD_END" <<'PY' | tee "$out/compare.md"
import json, sys
out, runs, cores, load_start, load_end = sys.argv[1:6]
results = {}
for group in ("lockfile", "cold", "synth", "record", "bundle"):
    results.update(json.load(open(f"{out}/{group}.json"))["commands"])
def med(name):  # wall time, median
    return results[name]["wall"]["median"]
def mean(name):
    return results[name]["wall"]["mean"]
def cpu(name):  # user + system, median: what the run itself cost, whatever else the machine ran
    return results[name]["cpu"]["median"]
def cpu_mean(name):
    return results[name]["cpu"]["mean"]
rows = [
    ("lockfile mode, `--db DIR`, warm (index built by an earlier run)", "lock-db-warm", "cargo-audit", "≥ 5x"),
    ("lockfile mode, managed cache (`db update`)", "lock-managed", "cargo-audit", "≥ 5x"),
    ("default mode (cargo metadata), graph cache warm", "default-warm", "cargo-audit", "≥ 1x"),
    ("lockfile mode, `--db DIR`, first run (parses, writes the index)", "lock-db-first", "cargo-audit-cold-group", ""),
    ("default mode (cargo metadata), graph cache cold", "default-cold", "cargo-audit-cold-group", ""),
]
print(f"| run (median of {runs}, round-robin with cargo-audit) | chainwarden | cargo-audit 0.22.2 | speed-up | CPU time (user+sys): chainwarden / cargo-audit | CPU speed-up | target |")
print("|---|---:|---:|---:|---:|---:|---|")
def row(label, name, ref, target):
    t, c, rc = med(name), cpu(name), cpu(ref)
    print(f"| {label} | {t:.1f} ms | {med(ref):.1f} ms | {med(ref) / t:.1f}x | {c:.1f} / {rc:.1f} ms | {rc / c:.1f}x | {target} |")
for label, name, ref, target in rows:
    row(label, name, ref, target)
row("lockfile mode, 10,000-package synthetic lockfile", "synth-10k", "cargo-audit-10k", "")
t10k, t1k = med("synth-10k"), med("lock-db-warm")
print()
print(f"Scaling: 10,000 packages take {t10k / t1k:.1f}x the 1,235-package time ({t10k:.1f} / {t1k:.1f} ms; target < 10x).")
rec, base = mean("record"), mean("record-base")
print(f"Recording evidence (mean of 80 rounds, the store already holding 80 runs): {rec:.1f} ms with the store vs {base:.1f} ms with `--no-record`: +{rec - base:.1f} ms wall, +{cpu_mean('record') - cpu_mean('record-base'):.1f} ms CPU (target ≤ 2 ms); medians +{med('record') - med('record-base'):.1f} ms wall.")
vb, sp = med("verify-bundle"), med("sigstore-python")
print(f"verify bundle (happy-path-v0.3, offline): chainwarden {vb:.1f} ms, sigstore-python 4.5.1 {sp:.1f} ms: {sp / vb:.0f}x faster; CPU {cpu('verify-bundle'):.1f} / {cpu('sigstore-python'):.1f} ms: {cpu('sigstore-python') / cpu('verify-bundle'):.0f}x (target ≥ 100x).")
print()
print(f"Machine: {cores} cores; at the start {load_start}; at the end {load_end}.")
PY

#!/bin/bash
# The 10M-iteration runs of benchmarks/README.md, "A cluster": the benchmark network
# (20 risks, ranking on) serial, with --jobs 2, and on a Dask cluster of a scheduler and
# two one-thread workers on this machine, each process under /usr/bin/time; then whether
# the three summary documents are the same, byte for byte.
# Usage: bash benchmarks/cluster_10m.sh [ITERATIONS]   (about 4 minutes on 2 cores)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/.venv/bin
N=${1:-10000000}
PORT=8799
OUT=$(mktemp -d)
export RISKMODEL_CACHE_DIR=$OUT/cache
FILE=$(cd "$ROOT" && "$BIN/python" -c \
    "from benchmarks.run import _scenario_file; print(_scenario_file())")
timed() {  # name, then the command
    local name=$1; shift
    /usr/bin/time -f "$name: %e s wall, %U + %S s CPU, peak %M KiB" -o "$OUT/$name.time" "$@"
}
stop() { pkill -TERM -f "bin/python .*dask $1 .*$PORT" || true; }  # the Python, not its timer
cleanup() { stop worker; sleep 2; stop scheduler; }

up() {  # whether the scheduler's port takes connections, trying $1 times half a second apart
    "$BIN/python" - "$PORT" "$1" <<'PY'
import socket, sys, time
for _ in range(int(sys.argv[2])):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.5)
sys.exit(f"nothing took connections on port {sys.argv[1]}")
PY
}

if up 1 2>/dev/null; then echo "port $PORT is taken: stop what listens there first" >&2; exit 2; fi
trap cleanup EXIT

"$BIN/riskmodel" simulate "$FILE" --json --iterations 1000 --output "$OUT/warm.json" >/dev/null
timed serial "$BIN/riskmodel" simulate "$FILE" --json --jobs 1 --iterations "$N" \
    --output "$OUT/serial.json" >/dev/null
timed jobs2 "$BIN/riskmodel" simulate "$FILE" --json --jobs 2 --iterations "$N" \
    --output "$OUT/jobs2.json" >/dev/null
timed scheduler "$BIN/dask" scheduler --port $PORT --no-dashboard >"$OUT/scheduler.log" 2>&1 &
up 120  # a minute
for w in worker1 worker2; do
    timed $w "$BIN/dask" worker tcp://127.0.0.1:$PORT --nthreads 1 --no-nanny \
        --no-dashboard >"$OUT/$w.log" 2>&1 &
done
sleep 8  # the workers join (the client would wait for them, inside its timing)
timed client "$BIN/riskmodel" simulate "$FILE" --json --iterations "$N" \
    --scheduler tcp://127.0.0.1:$PORT --output "$OUT/cluster.json" >/dev/null
cleanup
trap - EXIT
wait
cat "$OUT"/{serial,jobs2,client,worker1,worker2,scheduler}.time
cmp "$OUT/serial.json" "$OUT/jobs2.json" && cmp "$OUT/serial.json" "$OUT/cluster.json" \
    && echo "the three documents are the same, byte for byte ($OUT)"

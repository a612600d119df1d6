#!/usr/bin/env bash
# Load test: ingress-gateway against nginx as a reverse proxy with the same
# host/path routes, in one run, in front of the same backend.
#
#   bash bench/load.sh [SECONDS]        SECONDS per measured wrk run (default 10)
#
# What it does, all on 127.0.0.1 and cleaned up on exit:
#  - installs wrk if missing (apt-get), builds the gateway (cargo, release);
#  - starts the backend: nginx, one worker, `return 200 "ok"` on every path,
#    on core 1 (with wrk);
#  - for 10 and 10,000 routes (2,500 hosts x 4 paths), writes the Ingress
#    manifests, the equivalent nginx config and a request list (one request
#    per route, shuffled) with bench/load_helper.py; then, for each proxy in
#    turn, both on core 0 (`taskset -c 0`; nginx `worker_processes 1`, the
#    gateway `--workers 1`): starts it, checks that every request of the list
#    gets 200 "ok" and an unknown host 404, warms up, runs
#    `wrk -t1 -c50 -d${SECONDS}s --latency` with bench/requests.lua, reads
#    VmRSS (and PSS) of the proxy's processes, and stops it;
#  - reload run: the gateway (`--reload-interval-ms 50`) under a 20 s wrk
#    load while bench/load_helper.py churn rewrites one Ingress 100 times
#    (backend switched / path added / backend switched back / path removed);
#    counts non-2xx responses (in Lua), wrk's socket errors and the
#    "manifests loaded" lines of the gateway's log;
#  - prints the tables: requests/s, p50, p99, RSS/PSS, the proxy's CPU use
#    and requests per CPU-second (which discounts CPU lost to other work),
#    how busy wrk and the backend kept core 1, and the ratios
#    gateway/nginx; then the reload run's figures.
# Exit status 1 if any run saw a non-2xx response or a socket error.
# Time: about 4 x ROUNDS x (SECONDS + WARMUP + 3) s, plus 2 x (RELOAD_SECONDS
# + 3) s, plus the build: 3.5 minutes with the defaults and a built tree.
#
# Knobs (environment): SIZES ("10 10000"), ROUNDS (3: each proxy is measured
# ROUNDS times per size, in alternating order, and medians are reported),
# CONNECTIONS (50), WARMUP (2 s), RELOAD_SIZES ("10 10000"; "" skips the
# reload run), RELOAD_SECONDS (20), RELOAD_CHANGES (100), LOG_DIR (keep the
# raw wrk outputs, logs and configs there).
set -euo pipefail

DURATION=${1:-10}
SIZES=${SIZES-"10 10000"}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-50}
WARMUP=${WARMUP:-2}
RELOAD_SIZES=${RELOAD_SIZES-"10 10000"}
RELOAD_SECONDS=${RELOAD_SECONDS:-20}
RELOAD_CHANGES=${RELOAD_CHANGES:-100}
LOG_DIR=${LOG_DIR:-}

case $DURATION in
  '' | *[!0-9]* | 0) echo "usage: $0 [SECONDS]  (a whole number of seconds per run)" >&2; exit 2 ;;
esac

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
HELPER=$BENCH/load_helper.py
GATEWAY=$ROOT/target/release/ingress-gateway
STARTED=$SECONDS

WORK=$(mktemp -d /tmp/ingress-load.XXXXXX)
PIDS=()

log() { printf '[%4ds] %s\n' "$((SECONDS - STARTED))" "$*"; }

# Stops one process started here: TERM, then KILL after `bound` seconds.
stop_pid() {
  local pid=$1 bound=${2:-10} i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < bound * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local status=$? pid
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do
    stop_pid "$pid" 5
  done
  if [[ -n $LOG_DIR ]]; then
    mkdir -p "$LOG_DIR"
    cp -r "$WORK"/. "$LOG_DIR"/ 2>/dev/null || true
    rm -rf "$LOG_DIR"/manifests-* "$LOG_DIR"/*/body "$LOG_DIR"/*/proxy \
      "$LOG_DIR"/*/fastcgi "$LOG_DIR"/*/uwsgi "$LOG_DIR"/*/scgi 2>/dev/null || true
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- set up

if ! command -v wrk >/dev/null; then
  log "installing wrk"
  apt-get install -y wrk >"$WORK/apt.log" 2>&1 ||
    { apt-get update >>"$WORK/apt.log" 2>&1 && apt-get install -y wrk >>"$WORK/apt.log" 2>&1; } ||
    { cat "$WORK/apt.log" >&2; exit 1; }
fi
if ! command -v nginx >/dev/null; then
  log "installing nginx"
  apt-get install -y nginx >"$WORK/apt.log" 2>&1 ||
    { apt-get update >>"$WORK/apt.log" 2>&1 && apt-get install -y nginx >>"$WORK/apt.log" 2>&1; } ||
    { cat "$WORK/apt.log" >&2; exit 1; }
fi
NGINX=$(command -v nginx)

log "building the gateway (cargo build --release -p ingress-gateway)"
(cd "$ROOT" && timeout 1800 cargo build --release -p ingress-gateway) >"$WORK/build.log" 2>&1 ||
  { tail -30 "$WORK/build.log" >&2; exit 1; }

# Both proxies on core 0; the backend and wrk on core 1.
if (($(nproc) >= 2)); then
  PROXY_CPU=(taskset -c 0)
  LOAD_CPU=(taskset -c 1)
else
  log "warning: fewer than 2 cores; nothing is pinned"
  PROXY_CPU=()
  LOAD_CPU=()
fi

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_port() {
  local port=$1 pid=$2 i
  for ((i = 0; i < 300; i++)); do
    kill -0 "$pid" 2>/dev/null || return 1
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

# Starts nginx in the foreground (daemon off) on `cpu...`; sets NGINX_PID.
start_nginx() {
  local dir=$1 port=$2
  shift 2
  "$NGINX" -t -q -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' >"$dir/test.log" 2>&1 ||
    { cat "$dir/test.log" >&2; exit 1; }
  "$@" "$NGINX" -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' >"$dir/stdout.log" 2>&1 &
  NGINX_PID=$!
  PIDS+=("$NGINX_PID")
  wait_port "$port" "$NGINX_PID" || { echo "nginx in $dir did not start" >&2; cat "$dir/error.log" >&2; exit 1; }
}

# The nginx processes: master and its workers.
nginx_pids() {
  echo "$1" $(pgrep -P "$1" || true)
}

# Starts the gateway on core 0; sets GATEWAY_PID and GATEWAY_PORT.
start_gateway() {
  local manifests=$1 dir=$2
  shift 2
  "${PROXY_CPU[@]}" "$GATEWAY" serve --manifests "$manifests" --listen 127.0.0.1:0 --workers 1 "$@" \
    >"$dir/gateway.out" 2>"$dir/gateway.err" &
  GATEWAY_PID=$!
  PIDS+=("$GATEWAY_PID")
  local i
  for ((i = 0; i < 600; i++)); do
    if GATEWAY_PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$dir/gateway.out") &&
      [[ -n $GATEWAY_PORT ]]; then
      return 0
    fi
    kill -0 "$GATEWAY_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "the gateway did not start" >&2
  cat "$dir/gateway.err" >&2
  exit 1
}

# Sum of VmRSS and of Pss over the given pids, in KiB: "RSS PSS".
memory_kib() {
  local rss=0 pss=0 pid value
  for pid in "$@"; do
    value=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
    rss=$((rss + value))
    value=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)
    pss=$((pss + ${value:-0}))
  done
  echo "$rss $pss"
}

CLK_TCK=$(getconf CLK_TCK)

# CPU time (user + system, in clock ticks) used so far by the given pids.
proc_ticks() {
  local total=0 pid
  for pid in "$@"; do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "$total"
}

# "busy total" jiffies of one cpu. Softirq time is left out of "busy": it is
# mostly the loopback traffic of the processes measured, and the kernel does
# not always charge it to them.
cpu_jiffies() {
  awk -v cpu="cpu$1" '$1 == cpu {busy = $2 + $3 + $4 + $7 + $9; print busy, busy + $5 + $6 + $8}' /proc/stat
}

cpu_busy_percent() {
  local before=($1) after=($2)
  local total=$((after[1] - before[1]))
  ((total > 0)) || { echo 0; return; }
  echo $((100 * (after[0] - before[0]) / total))
}

# wrk latency ("628.00us", "1.46ms", "2.00s", "1.2m") to microseconds.
to_us() {
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    if (u == "us") f = 1; else if (u == "ms") f = 1000; else if (u == "s") f = 1000000; else if (u == "m") f = 60000000; else f = 1
    printf "%.1f", n * f }'
}

# Runs wrk on core 1; its CPU time (user + system, seconds) goes to OUT.cpu.
run_wrk() {
  local port=$1 requests=$2 seconds=$3 out=$4
  (
    timeout $((seconds + 30)) "${LOAD_CPU[@]}" wrk -t1 -c"$CONNECTIONS" -d"${seconds}s" --latency \
      -s "$BENCH/requests.lua" "http://127.0.0.1:$port/" -- "$requests" >"$out" 2>&1
    # The second line of `times`: this subshell's children, i.e. wrk (not
    # in a pipeline, where `times` would run in a subshell of its own).
    times >"$out.times"
    awk 'NR == 2 {
      t = 0
      for (i = 1; i <= 2; i++) { split($i, p, "m"); sub(/s$/, "", p[2]); t += p[1] * 60 + p[2] }
      print t }' "$out.times" >"$out.cpu"
  ) || { cat "$out" >&2; exit 1; }
}

wrk_field() {
  local out=$1 what=$2
  case $what in
    rps) awk '/^Requests\/sec:/ {print $2}' "$out" ;;
    p50) to_us "$(awk '$1 == "50%" {print $2}' "$out")" ;;
    p99) to_us "$(awk '$1 == "99%" {print $2}' "$out")" ;;
    max) to_us "$(awk '$1 == "Latency" && NF >= 5 {print $4; exit}' "$out")" ;;
    requests) awk '/requests in/ {print $1}' "$out" ;;
    non2xx) awk '/Non-2xx or 3xx responses:/ {print $NF; found = 1} END {if (!found) print 0}' "$out" ;;
    sockerr) awk '/Socket errors:/ {gsub(/,/, ""); print $4 + $6 + $8 + $10; found = 1} END {if (!found) print 0}' "$out" ;;
  esac
}

# Checks, warms up, measures one proxy; appends a line to results.txt.
measure() {
  local size=$1 proxy=$2 port=$3 dir=$4 requests=$5
  shift 5
  local pids=("$@")
  python3 "$HELPER" check "$port" "$requests" | sed 's/^/    /'
  run_wrk "$port" "$requests" "$WARMUP" "$dir/warmup.txt"
  local c0 c1 c0b c1b t0 t1 b0 b1 w0 w1
  c0=$(cpu_jiffies 0)
  c1=$(cpu_jiffies 1)
  t0=$(proc_ticks "${pids[@]}")
  b0=$(proc_ticks "${BACKEND_PIDS[@]}")
  w0=$(date +%s%N)
  run_wrk "$port" "$requests" "$DURATION" "$dir/wrk.txt"
  w1=$(date +%s%N)
  t1=$(proc_ticks "${pids[@]}")
  b1=$(proc_ticks "${BACKEND_PIDS[@]}")
  c0b=$(cpu_jiffies 0)
  c1b=$(cpu_jiffies 1)
  # The proxy's own CPU use over the run, in % of one core; what else ran on
  # core 0 is its busy time less the proxy's (noise from other work).
  local proxy_cpu wall_ms=$(((w1 - w0) / 1000000))
  proxy_cpu=$((100 * (t1 - t0) * 1000 / CLK_TCK / wall_ms))
  # Likewise on core 1: the backend's and wrk's CPU use.
  local load_cpu
  load_cpu=$(awk -v b=$((b1 - b0)) -v hz="$CLK_TCK" -v w="$(cat "$dir/wrk.txt.cpu")" -v ms="$wall_ms" \
    'BEGIN {printf "%d", 100 * (b / hz + w) * 1000 / ms}')
  local memory
  memory=($(memory_kib "${pids[@]}"))
  local out=$dir/wrk.txt
  local line="routes=$size proxy=$proxy rps=$(wrk_field "$out" rps) p50_us=$(wrk_field "$out" p50)"
  line+=" p99_us=$(wrk_field "$out" p99) rss_kib=${memory[0]} pss_kib=${memory[1]}"
  line+=" non2xx=$(wrk_field "$out" non2xx) sockerr=$(wrk_field "$out" sockerr)"
  line+=" cpu0=$(cpu_busy_percent "$c0" "$c0b") cpu1=$(cpu_busy_percent "$c1" "$c1b") proxy_cpu=$proxy_cpu load_cpu=$load_cpu"
  echo "$line" >>"$WORK/results.txt"
  log "  $line"
}

run_nginx_proxy() {
  local size=$1 round=$2
  local dir=$WORK/nginx-$size-$round port
  mkdir -p "$dir"
  port=$(free_port)
  python3 "$HELPER" nginx-proxy "$dir/nginx.conf" "$size" "$port" "$BACKEND_PORT" "$dir"
  start_nginx "$dir" "$port" "${PROXY_CPU[@]}"
  log "nginx proxy, $size routes, round $round: pid $NGINX_PID, port $port"
  measure "$size" nginx "$port" "$dir" "$WORK/requests-$size.txt" $(nginx_pids "$NGINX_PID")
  stop_pid "$NGINX_PID" 10
}

run_gateway() {
  local size=$1 round=$2
  local dir=$WORK/gateway-$size-$round
  mkdir -p "$dir"
  start_gateway "$WORK/manifests-$size" "$dir"
  log "gateway, $size routes, round $round: pid $GATEWAY_PID, port $GATEWAY_PORT"
  measure "$size" gateway "$GATEWAY_PORT" "$dir" "$WORK/requests-$size.txt" "$GATEWAY_PID"
  stop_pid "$GATEWAY_PID" 15
}

# ---------------------------------------------------------------- backend

BACKEND_PORT=$(free_port)
mkdir -p "$WORK/backend"
python3 "$HELPER" nginx-backend "$WORK/backend/nginx.conf" "$BACKEND_PORT" "$WORK/backend"
start_nginx "$WORK/backend" "$BACKEND_PORT" "${LOAD_CPU[@]}"
BACKEND_PIDS=($(nginx_pids "$NGINX_PID"))
log "backend: nginx pid $NGINX_PID on 127.0.0.1:$BACKEND_PORT (core 1)"

: >"$WORK/results.txt"
: >"$WORK/reloads.txt"

for size in $SIZES $RELOAD_SIZES; do
  [[ -d $WORK/manifests-$size ]] && continue
  python3 "$HELPER" manifests "$WORK/manifests-$size" "$size" "$BACKEND_PORT"
  python3 "$HELPER" requests "$WORK/requests-$size.txt" "$size"
done

# ---------------------------------------------------------------- comparison

for size in $SIZES; do
  for ((round = 1; round <= ROUNDS; round++)); do
    if ((round % 2 == 1)); then
      run_nginx_proxy "$size" "$round"
      run_gateway "$size" "$round"
    else
      run_gateway "$size" "$round"
      run_nginx_proxy "$size" "$round"
    fi
  done
done

# ---------------------------------------------------------------- reload run

for size in $RELOAD_SIZES; do
  dir=$WORK/reload-$size
  mkdir -p "$dir"
  manifests=$WORK/manifests-$size
  start_gateway "$manifests" "$dir" --reload-interval-ms 50
  log "reload run, $size routes: gateway pid $GATEWAY_PID, ${RELOAD_SECONDS}s of load, $RELOAD_CHANGES changes"
  python3 "$HELPER" check "$GATEWAY_PORT" "$WORK/requests-$size.txt" | sed 's/^/    /'
  initial=$(grep -c "manifests loaded" "$dir/gateway.err" || true)
  # Started directly (not through a function) so that $! is timeout itself,
  # which passes a TERM from the cleanup on to wrk.
  timeout $((RELOAD_SECONDS + 30)) "${LOAD_CPU[@]}" wrk -t1 -c"$CONNECTIONS" -d"${RELOAD_SECONDS}s" --latency \
    -s "$BENCH/requests.lua" "http://127.0.0.1:$GATEWAY_PORT/" -- "$WORK/requests-$size.txt" count \
    >"$dir/wrk.txt" 2>&1 &
  wrk_pid=$!
  PIDS+=("$wrk_pid")
  sleep 1
  # The changes are spread over the load, ending 2 s before it does.
  interval=$(awk -v s="$RELOAD_SECONDS" -v n="$RELOAD_CHANGES" 'BEGIN {printf "%.3f", (s - 3) / n}')
  timeout $((RELOAD_SECONDS + 30)) python3 "$HELPER" churn "$manifests" "$RELOAD_CHANGES" "$interval" \
    >"$dir/churn.txt" 2>&1 || { cat "$dir/churn.txt" >&2; exit 1; }
  wait "$wrk_pid" || { cat "$dir/wrk.txt" >&2; exit 1; }
  sleep 0.5
  loaded=$(grep -c "manifests loaded" "$dir/gateway.err" || true)
  failed=$(grep -cE "reload failed|manifest does not parse" "$dir/gateway.err" || true)
  reload_ms=$(grep "manifests loaded" "$dir/gateway.err" | tail -n +$((initial + 1)) |
    sed -n 's/.* millis=\([0-9]*\).*/\1/p' | sort -n |
    awk '{v[NR] = $1} END {if (NR) printf "%d/%d", v[int((NR + 1) / 2)], v[NR]; else print "-"}')
  out=$dir/wrk.txt
  counted=$(awk '/^counted responses:/ {print $5}' "$out")
  line="routes=$size seconds=$RELOAD_SECONDS changes=$RELOAD_CHANGES reloads=$((loaded - initial)) failed=$failed"
  line+=" requests=$(wrk_field "$out" requests) non2xx=${counted:-missing} sockerr=$(wrk_field "$out" sockerr)"
  line+=" rps=$(wrk_field "$out" rps) p99_us=$(wrk_field "$out" p99) max_us=$(wrk_field "$out" max) reload_ms=$reload_ms"
  echo "$line" >>"$WORK/reloads.txt"
  log "  $line"
  log "  $(cat "$dir/churn.txt"); wrk's own count of 4xx/5xx: $(wrk_field "$out" non2xx)"
  stop_pid "$GATEWAY_PID" 15
done

# ---------------------------------------------------------------- report

python3 "$HELPER" report "$WORK/results.txt" "$WORK/reloads.txt"
echo
echo "machine: $(nproc) cores; proxies on core 0, backend and wrk on core 1; $(nginx -v 2>&1); $(wrk -v 2>&1 | head -1)"
echo "command: bash bench/load.sh $DURATION (SIZES=\"$SIZES\" ROUNDS=$ROUNDS CONNECTIONS=$CONNECTIONS WARMUP=$WARMUP)"
echo "run time: $((SECONDS - STARTED)) s"

# A failed correctness condition fails the script.
status=0
if awk '{for (i = 1; i <= NF; i++) {split($i, kv, "="); if ((kv[1] == "non2xx" || kv[1] == "sockerr") && kv[2] != "0") bad = 1}} END {exit !bad}' \
  "$WORK/results.txt" "$WORK/reloads.txt"; then
  echo "FAILED: some runs had non-2xx responses or socket errors" >&2
  status=1
fi
exit "$status"

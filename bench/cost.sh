#!/usr/bin/env bash
# What one proxied request costs the gateway and nginx, measured the same way
# for both, at one route count (the route set, backend and request mix of
# bench/load.sh):
#
#   - CPU time: the proxy's user and system time (/proc/PID/stat) over
#     MEASURE seconds of `wrk -t1 -c50` load, divided by the requests wrk
#     counted; ROUNDS rounds per proxy, in alternating order. Steadier than
#     requests/s on a noisy machine: it does not depend on how fast the load
#     side happened to run.
#   - With CALLGRIND=1 (valgrind installed): user-space instructions per
#     request, each proxy run under `valgrind --tool=callgrind`, its counters
#     zeroed after warm-up. Exact and repeatable, but blind to the kernel.
#
# Usage: bash bench/cost.sh [ROUTES]   (default 10000)
# Knobs: ROUNDS (2), MEASURE (6 s), CALLGRIND (0). Needs nginx, wrk and
# python3; proxies on core 0, wrk and the backend on core 1.
set -euo pipefail

ROUTES=${1:-10000}
ROUNDS=${ROUNDS:-2}
MEASURE=${MEASURE:-6}
CALLGRIND=${CALLGRIND:-0}
case $ROUTES in '' | *[!0-9]* | 0) echo "usage: $0 [ROUTES]" >&2; exit 2 ;; esac

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HELPER=$ROOT/bench/load_helper.py
GATEWAY=$ROOT/target/release/ingress-gateway
WORK=$(mktemp -d /tmp/ingress-cost.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

for tool in nginx wrk python3 taskset; do
  command -v "$tool" >/dev/null || { echo "$tool is needed" >&2; exit 1; }
done
if [[ $CALLGRIND == 1 ]] && ! command -v valgrind >/dev/null; then
  echo "CALLGRIND=1 needs valgrind (apt-get install valgrind)" >&2
  exit 1
fi

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_port() {
  local port=$1 i
  for ((i = 0; i < 600; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on port $port" >&2
  return 1
}
load() { # PORT SECONDS: runs wrk, prints the requests it counted
  taskset -c 1 wrk -t1 -c50 -d"$2"s -s "$ROOT/bench/requests.lua" "http://127.0.0.1:$1/" -- "$WORK/requests.txt" |
    awk '/requests in/ {print $1}'
}

echo "building the gateway" >&2
(cd "$ROOT" && cargo build --release -p ingress-gateway) >"$WORK/build.log" 2>&1 ||
  { cat "$WORK/build.log" >&2; exit 1; }

BACKEND_PORT=$(free_port)
mkdir -p "$WORK/backend" "$WORK/nginx"
python3 "$HELPER" nginx-backend "$WORK/backend/nginx.conf" "$BACKEND_PORT" "$WORK/backend"
python3 "$HELPER" manifests "$WORK/manifests" "$ROUTES" "$BACKEND_PORT"
python3 "$HELPER" requests "$WORK/requests.txt" "$ROUTES"
taskset -c 1 nginx -p "$WORK/backend" -c "$WORK/backend/nginx.conf" -g 'daemon off;' &
PIDS+=($!)
wait_port "$BACKEND_PORT"

# Starts one proxy (gateway or nginx) on core 0, optionally under WRAP;
# sets PROXY_PID (the process doing the work) and PROXY_PORT.
start() {
  local name=$1
  shift
  PROXY_PORT=$(free_port)
  if [[ $name == gateway ]]; then
    taskset -c 0 "$@" "$GATEWAY" serve --manifests "$WORK/manifests" --listen "127.0.0.1:$PROXY_PORT" \
      --workers 1 >"$WORK/gateway.log" 2>&1 &
  else
    python3 "$HELPER" nginx-proxy "$WORK/nginx/nginx.conf" "$ROUTES" "$PROXY_PORT" "$BACKEND_PORT" "$WORK/nginx"
    # One process, no master: the worker is the process measured.
    taskset -c 0 "$@" nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g 'daemon off; master_process off;' \
      >"$WORK/nginx.log" 2>&1 &
  fi
  PROXY_PID=$!
  PIDS+=("$PROXY_PID")
  wait_port "$PROXY_PORT"
}
stop() {
  kill "$PROXY_PID" 2>/dev/null || true
  wait "$PROXY_PID" 2>/dev/null || true
}

TICK=$(getconf CLK_TCK)
echo "CPU time per request at $ROUTES routes ($ROUNDS rounds, ${MEASURE}s each, wrk -t1 -c50):"
for ((round = 1; round <= ROUNDS; round++)); do
  order=(gateway nginx)
  ((round % 2 == 0)) && order=(nginx gateway)
  for name in "${order[@]}"; do
    start "$name"
    load "$PROXY_PORT" 2 >/dev/null
    read -r user0 system0 < <(awk '{print $14, $15}' "/proc/$PROXY_PID/stat")
    requests=$(load "$PROXY_PORT" "$MEASURE")
    read -r user1 system1 < <(awk '{print $14, $15}' "/proc/$PROXY_PID/stat")
    stop
    awk -v name="$name" -v round="$round" -v n="$requests" -v u=$((user1 - user0)) -v s=$((system1 - system0)) \
      -v tick="$TICK" 'BEGIN {
        printf "  round %d %-8s %8d requests  user %5.2f us  system %5.2f us  total %5.2f us\n",
          round, name, n, u * 1e6 / tick / n, s * 1e6 / tick / n, (u + s) * 1e6 / tick / n }'
  done
done

if [[ $CALLGRIND == 1 ]]; then
  echo "User-space instructions per request at $ROUTES routes (callgrind, 10 s of wrk -t1 -c20 after warm-up):"
  for name in gateway nginx; do
    start "$name" valgrind --tool=callgrind --callgrind-out-file="$WORK/callgrind.$name.%p"
    # Warm-up (valgrind makes everything slow), then count from zero.
    taskset -c 1 wrk -t1 -c20 -d3s -s "$ROOT/bench/requests.lua" "http://127.0.0.1:$PROXY_PORT/" -- "$WORK/requests.txt" >/dev/null
    callgrind_control -z "$PROXY_PID" >/dev/null 2>&1
    requests=$(taskset -c 1 wrk -t1 -c20 -d10s -s "$ROOT/bench/requests.lua" "http://127.0.0.1:$PROXY_PORT/" -- \
      "$WORK/requests.txt" | awk '/requests in/ {print $1}')
    callgrind_control -d "$PROXY_PID" >/dev/null 2>&1
    stop
    dump=$(ls -t "$WORK"/callgrind."$name".*.[0-9]* 2>/dev/null | head -1)
    total=$(callgrind_annotate "$dump" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(/,/, "", $1); print $1}')
    awk -v name="$name" -v n="$requests" -v total="$total" \
      'BEGIN { printf "  %-8s %8d requests  %6.0f instructions per request\n", name, n, total / n }'
  done
fi

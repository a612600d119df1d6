#!/usr/bin/env bash
# HTTPS load: `ingress-gateway serve --listen-tls` against nginx terminating
# TLS with the same certificate, in front of the same backend, with the same
# host/path routes (bench/load_helper.py's route set), one core each, in one
# run.
#
#   bash bench/tls-load.sh [SECONDS]     SECONDS per measured wrk run (default 10)
#
# Two figures per proxy, measured ROUNDS times in alternating order (medians
# reported):
#  - keep-alive: `wrk -t1 -c50` over HTTPS, connections kept open: requests/s
#    with TLS records on every request and a 10,000-route table;
#  - handshakes: the same requests, each with `Connection: close`, so every
#    request is a new TCP connection and a full TLS handshake (wrk does not
#    resume sessions): new handshakes (= requests) per second.
# With each, the proxy's CPU time per 1,000 requests (/proc/PID/stat), which
# does not depend on how fast the load side happened to run.
#
# Same conditions for both: one ECDSA P-256 leaf (SANs: the route set's 50
# wildcard parents, *.team-N.bench.test) and its CA, made here with openssl;
# TLS 1.2 and 1.3 offered, the client (wrk, OpenSSL) negotiates TLS 1.3;
# nginx `worker_processes 1` with a shared session cache, the gateway
# `--workers 1`, both on core 0 (`taskset -c 0`); the backend (nginx,
# `return 200 "ok"`) and wrk on core 1. wrk sends the SNI 127.0.0.1, an
# unknown name: the gateway serves its `--default-certificate` (the same
# Secret), nginx its only certificate. First, CHECK routes of the request
# list are fetched over HTTPS with curl, SNI = the route's host, verified
# against the CA.
#
# Knobs: ROUTES (10000), ROUNDS (3), CONNECTIONS (50), WARMUP (2 s),
# CHECK (500), LOG_DIR (keep configs, logs and raw wrk outputs there).
# Exit status 1 if a run saw a non-2xx response or a socket error other than
# the handshake run's closes.
set -euo pipefail

DURATION=${1:-10}
ROUTES=${ROUTES:-10000}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-50}
WARMUP=${WARMUP:-2}
CHECK=${CHECK:-500}
LOG_DIR=${LOG_DIR:-}
case $DURATION in '' | *[!0-9]* | 0) echo "usage: $0 [SECONDS]" >&2; exit 2 ;; esac
case $ROUTES in '' | *[!0-9]* | 0) echo "ROUTES must be a positive number" >&2; exit 2 ;; esac

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
HELPER=$BENCH/load_helper.py
GATEWAY=$ROOT/target/release/ingress-gateway
STARTED=$SECONDS
WORK=$(mktemp -d /tmp/ingress-tls-load.XXXXXX)
PIDS=()

log() { printf '[%4ds] %s\n' "$((SECONDS - STARTED))" "$*"; }

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
  for pid in "${PIDS[@]}"; do stop_pid "$pid" 5; done
  if [[ -n $LOG_DIR ]]; then
    mkdir -p "$LOG_DIR"
    cp -r "$WORK"/. "$LOG_DIR"/ 2>/dev/null || true
    # Not the keys, nor the big generated trees.
    rm -rf "$LOG_DIR"/manifests "$LOG_DIR"/certs "$LOG_DIR"/*/body "$LOG_DIR"/*/proxy \
      "$LOG_DIR"/*/fastcgi "$LOG_DIR"/*/uwsgi "$LOG_DIR"/*/scgi 2>/dev/null || true
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for tool in nginx wrk python3 openssl curl; do
  command -v "$tool" >/dev/null || { echo "$tool is needed (apt-get install nginx wrk python3 openssl curl)" >&2; exit 1; }
done
NGINX=$(command -v nginx)

log "building the gateway (cargo build --release -p ingress-gateway)"
(cd "$ROOT" && timeout 1800 cargo build --release -p ingress-gateway) >"$WORK/build.log" 2>&1 ||
  { tail -30 "$WORK/build.log" >&2; exit 1; }

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

start_nginx() { # DIR PORT CPU...: sets NGINX_PID
  local dir=$1 port=$2
  shift 2
  "$NGINX" -t -q -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' >"$dir/test.log" 2>&1 ||
    { cat "$dir/test.log" >&2; exit 1; }
  "$@" "$NGINX" -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' >"$dir/stdout.log" 2>&1 &
  NGINX_PID=$!
  PIDS+=("$NGINX_PID")
  wait_port "$port" "$NGINX_PID" || { echo "nginx in $dir did not start" >&2; cat "$dir/error.log" >&2; exit 1; }
}

proc_ticks() {
  local total=0 pid
  for pid in "$@"; do total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat"))); done
  echo "$total"
}
CLK_TCK=$(getconf CLK_TCK)

# ---------------------------------------------------------------- certificates

CERTS=$WORK/certs
mkdir -p "$CERTS"
sans=$(python3 -c 'print(",".join(f"DNS:*.team-{t}.bench.test" for t in range(50)))')
{
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=tls-load CA" -keyout "$CERTS/ca.key" -out "$CERTS/ca.pem"
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj "/CN=bench.test" -keyout "$CERTS/leaf.key" -out "$CERTS/leaf.csr"
  openssl x509 -req -in "$CERTS/leaf.csr" -CA "$CERTS/ca.pem" -CAkey "$CERTS/ca.key" -CAcreateserial \
    -days 2 -extfile <(printf 'subjectAltName=%s\n' "$sans") -out "$CERTS/leaf.pem"
} >"$WORK/openssl.log" 2>&1 || { cat "$WORK/openssl.log" >&2; exit 1; }
cat "$CERTS/leaf.pem" "$CERTS/ca.pem" >"$CERTS/chain.pem"
log "certificate: ECDSA P-256 leaf for 50 wildcards, chain of 2"

# ---------------------------------------------------------------- backend, routes

BACKEND_PORT=$(free_port)
mkdir -p "$WORK/backend"
python3 "$HELPER" nginx-backend "$WORK/backend/nginx.conf" "$BACKEND_PORT" "$WORK/backend"
start_nginx "$WORK/backend" "$BACKEND_PORT" "${LOAD_CPU[@]}"
BACKEND_PID=$NGINX_PID
log "backend: nginx pid $BACKEND_PID on 127.0.0.1:$BACKEND_PORT"

MANIFESTS=$WORK/manifests
python3 "$HELPER" manifests "$MANIFESTS" "$ROUTES" "$BACKEND_PORT"
python3 "$HELPER" requests "$WORK/requests.txt" "$ROUTES"
# Every Ingress lists its host in spec.tls with the Secret bench/bench-tls.
python3 - "$MANIFESTS" "$CERTS/chain.pem" "$CERTS/leaf.key" <<'EOF'
import base64, glob, os, re, sys
out, chain, key = sys.argv[1:]
for path in glob.glob(os.path.join(out, "*.yaml")):
    text = open(path).read()
    docs = text.split("---\n")
    changed = False
    for i, doc in enumerate(docs):
        if "kind: Ingress\n" not in doc:
            continue
        host = re.search(r"- host: (\S+)", doc).group(1)
        docs[i] = doc.replace("spec:\n", f"spec:\n  tls:\n  - hosts:\n    - {host}\n    secretName: bench-tls\n", 1)
        changed = True
    if changed:
        open(path, "w").write("---\n".join(docs))
data = lambda p: base64.b64encode(open(p, "rb").read()).decode()
open(os.path.join(out, "tls-secret.yaml"), "w").write(f"""apiVersion: v1
kind: Secret
metadata:
  name: bench-tls
  namespace: bench
type: kubernetes.io/tls
data:
  tls.crt: {data(chain)}
  tls.key: {data(key)}
""")
EOF
sed 's/{ Host = host }/{ Host = host, Connection = "close" }/' "$BENCH/requests.lua" >"$WORK/close.lua"
grep -q 'Connection = "close"' "$WORK/close.lua" || { echo "could not make close.lua" >&2; exit 1; }

# ---------------------------------------------------------------- proxies

nginx_conf() { # DIR PORT
  local dir=$1 port=$2
  python3 "$HELPER" nginx-proxy "$dir/nginx.conf" "$ROUTES" "$port" "$BACKEND_PORT" "$dir"
  # TLS on the same listener, for every server; the same certificate.
  sed -i -e "s/listen 127\.0\.0\.1:$port\( default_server\)\?;/listen 127.0.0.1:$port ssl\1;/" \
    -e "/^http {/a\\
    ssl_certificate $CERTS/chain.pem;\\
    ssl_certificate_key $CERTS/leaf.key;\\
    ssl_protocols TLSv1.2 TLSv1.3;\\
    ssl_session_cache shared:TLS:10m;" "$dir/nginx.conf"
}

start_gateway() { # DIR: sets GATEWAY_PID, GATEWAY_TLS_PORT
  local dir=$1 i
  "${PROXY_CPU[@]}" "$GATEWAY" serve --manifests "$MANIFESTS" --listen 127.0.0.1:0 --workers 1 \
    --listen-tls 127.0.0.1:0 --default-certificate bench/bench-tls >"$dir/gateway.out" 2>"$dir/gateway.err" &
  GATEWAY_PID=$!
  PIDS+=("$GATEWAY_PID")
  for ((i = 0; i < 600; i++)); do
    GATEWAY_TLS_PORT=$(sed -n 's/^tls on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$dir/gateway.out")
    [[ -n $GATEWAY_TLS_PORT ]] && return 0
    kill -0 "$GATEWAY_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "the gateway did not start" >&2
  cat "$dir/gateway.err" >&2
  exit 1
}

# CHECK routes of the request list answer "ok" over HTTPS, each host's
# certificate verified; an unknown host 404.
check() { # PORT
  local port=$1 host path body n=0 config=$WORK/curl-$1.conf
  : >"$config"
  while read -r host path; do
    printf 'resolve = "%s:%s:127.0.0.1"\nurl = "https://%s:%s%s"\n' "$host" "$port" "$host" "$port" "$path" >>"$config"
    n=$((n + 1))
  done < <(head -n "$CHECK" "$WORK/requests.txt")
  body=$(curl --silent --show-error --fail --max-time 300 --cacert "$CERTS/ca.pem" --config "$config")
  [[ $body == $(printf 'ok%.0s' $(seq "$n")) ]] || { echo "not every route answered ok over HTTPS" >&2; exit 1; }
  local status
  # An unknown host: no certificate covers it (--insecure), and no route.
  status=$(curl --silent --insecure --output /dev/null --write-out '%{http_code}' \
    --resolve "unknown.bench.invalid:$port:127.0.0.1" "https://unknown.bench.invalid:$port/api")
  [[ $status == 404 ]] || { echo "an unknown host answered $status, not 404" >&2; exit 1; }
  echo "    $n routes answered ok over HTTPS (certificates verified); an unknown host 404"
}

wrk_field() {
  case $2 in
    rps) awk '/^Requests\/sec:/ {print $2}' "$1" ;;
    requests) awk '/requests in/ {print $1}' "$1" ;;
    non2xx) awk '/Non-2xx or 3xx responses:/ {print $NF; f = 1} END {if (!f) print 0}' "$1" ;;
    sockerr) awk '/Socket errors:/ {gsub(/,/, ""); print $4 + $6 + $8 + $10; f = 1} END {if (!f) print 0}' "$1" ;;
    connerr) awk '/Socket errors:/ {gsub(/,/, ""); print $4 + $10; f = 1} END {if (!f) print 0}' "$1" ;;
  esac
}

# MODE PROXY PORT DIR PID...: warms up, measures, appends to results.txt.
measure() {
  local mode=$1 proxy=$2 port=$3 dir=$4
  shift 4
  local script=$BENCH/requests.lua
  [[ $mode == handshakes ]] && script=$WORK/close.lua
  timeout $((WARMUP + 30)) "${LOAD_CPU[@]}" wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" -s "$script" \
    "https://127.0.0.1:$port/" -- "$WORK/requests.txt" >"$dir/$mode-warmup.txt" 2>&1
  local t0 t1 out=$dir/$mode.txt
  t0=$(proc_ticks "$@")
  timeout $((DURATION + 30)) "${LOAD_CPU[@]}" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" -s "$script" \
    "https://127.0.0.1:$port/" -- "$WORK/requests.txt" >"$out" 2>&1 || { cat "$out" >&2; exit 1; }
  t1=$(proc_ticks "$@")
  local requests cpu_ms
  requests=$(wrk_field "$out" requests)
  cpu_ms=$(awk -v t=$((t1 - t0)) -v hz="$CLK_TCK" -v n="$requests" 'BEGIN {printf "%.1f", n ? 1000 * 1000 * t / hz / n : 0}')
  local line="mode=$mode proxy=$proxy rps=$(wrk_field "$out" rps) cpu_ms_per_1000=$cpu_ms"
  line+=" non2xx=$(wrk_field "$out" non2xx) sockerr=$(wrk_field "$out" sockerr) connerr=$(wrk_field "$out" connerr)"
  echo "$line" >>"$WORK/results.txt"
  log "  $line"
}

run_nginx() {
  local round=$1 dir=$WORK/nginx-$1 port pids
  mkdir -p "$dir"
  port=$(free_port)
  nginx_conf "$dir" "$port"
  start_nginx "$dir" "$port" "${PROXY_CPU[@]}"
  log "nginx, round $round: pid $NGINX_PID, port $port"
  check "$port"
  pids=("$NGINX_PID" $(pgrep -P "$NGINX_PID" || true))
  measure keep-alive nginx "$port" "$dir" "${pids[@]}"
  measure handshakes nginx "$port" "$dir" "${pids[@]}"
  stop_pid "$NGINX_PID" 10
}

run_gateway() {
  local round=$1 dir=$WORK/gateway-$1
  mkdir -p "$dir"
  start_gateway "$dir"
  log "gateway, round $round: pid $GATEWAY_PID, TLS port $GATEWAY_TLS_PORT"
  check "$GATEWAY_TLS_PORT"
  measure keep-alive gateway "$GATEWAY_TLS_PORT" "$dir" "$GATEWAY_PID"
  measure handshakes gateway "$GATEWAY_TLS_PORT" "$dir" "$GATEWAY_PID"
  stop_pid "$GATEWAY_PID" 15
}

: >"$WORK/results.txt"
for ((round = 1; round <= ROUNDS; round++)); do
  if ((round % 2 == 1)); then
    run_nginx "$round"
    run_gateway "$round"
  else
    run_gateway "$round"
    run_nginx "$round"
  fi
done

# ---------------------------------------------------------------- report

python3 - "$WORK/results.txt" "$ROUTES" <<'EOF'
import statistics, sys
rows = [dict(kv.split("=", 1) for kv in line.split()) for line in open(sys.argv[1]) if line.strip()]
routes = sys.argv[2]
print(f"\nHTTPS through each proxy, {routes} routes, medians of {len(rows) // 4} rounds")
print(f"{'':>12} {'nginx req/s':>12} {'gateway req/s':>14} {'ratio':>6}   {'CPU ms/1000 req nginx':>21} {'gateway':>8}")
for mode in ("keep-alive", "handshakes"):
    med = {}
    for proxy in ("nginx", "gateway"):
        picked = [r for r in rows if r["mode"] == mode and r["proxy"] == proxy]
        med[proxy] = (statistics.median(float(r["rps"]) for r in picked),
                      statistics.median(float(r["cpu_ms_per_1000"]) for r in picked))
    ratio = med["gateway"][0] / med["nginx"][0] if med["nginx"][0] else float("nan")
    print(f"{mode:>12} {med['nginx'][0]:>12.0f} {med['gateway'][0]:>14.0f} {ratio:>6.2f}   "
          f"{med['nginx'][1]:>21.1f} {med['gateway'][1]:>8.1f}")
EOF
echo
echo "machine: $(nproc) cores; proxies on core 0, backend and wrk on core 1; $(nginx -v 2>&1); $(wrk -v 2>&1 | head -1); $(openssl version)"
echo "command: bash bench/tls-load.sh $DURATION (ROUTES=$ROUTES ROUNDS=$ROUNDS CONNECTIONS=$CONNECTIONS WARMUP=$WARMUP)"
echo "run time: $((SECONDS - STARTED)) s"

# Closed connections are the handshake run's design; anything else fails it.
status=0
if awk '{bad_run = 0; for (i = 1; i <= NF; i++) {split($i, kv, "=");
      if (kv[1] == "non2xx" && kv[2] != "0") bad_run = 1;
      if (kv[1] == "connerr" && kv[2] != "0") bad_run = 1}
    if (bad_run) bad = 1} END {exit !bad}' "$WORK/results.txt"; then
  echo "FAILED: some runs had non-2xx responses or connect/timeout errors" >&2
  status=1
fi
exit "$status"

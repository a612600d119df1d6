#!/usr/bin/env bash
# Memory per pending connection: what a client that opens many connections
# and sends each an unfinished request head (a long header line, never
# ended) costs ingress-gateway and nginx, in one run, with comparable
# limits, in front of the same backend.
#
#   bash bench/pending-memory.sh [CONNECTIONS]     (default 1000)
#
# What it does, all on 127.0.0.1 and cleaned up on exit:
#  - installs nginx if missing (apt-get), builds the gateway (cargo,
#    release);
#  - starts the backend: nginx, one worker, `return 200 "ok"`;
#  - for each proxy in turn, one worker each (nginx `worker_processes 1`,
#    the gateway `--workers 1`), both with a 32 KiB request-head limit
#    (the gateway `--max-request-head-bytes 32768`, nginx
#    `large_client_header_buffers 4 32k`), a 60 s head timeout and a listen
#    queue of 1024: starts it, checks that a request gets 200 "ok", reads
#    VmRSS of its processes (nginx: master and worker summed), then opens
#    CONNECTIONS connections that each send
#    `GET / HTTP/1.1\r\nHost: app.example.com\r\nX-Pad: aaaa...` up to
#    HEAD_BYTES bytes and never end the line; reads RSS once they are all
#    sent and held (and checks that none was answered or closed), closes
#    them, reads RSS again AFTER seconds later, and once more after 1,000
#    ordinary requests (mimalloc, the gateway's allocator, gives freed
#    memory back to the system while it works, not while idle);
#  - prints RSS before, while held and after, and KiB per held connection
#    ((held - before) / CONNECTIONS) for both.
# Knobs (environment): HEAD_BYTES (32000: near the limit), AFTER (3 s),
# GATEWAY_ARGS (extra gateway flags, e.g. "--max-request-head-bytes
# 1048576" to see a larger limit), LOG_DIR (keep logs and configs there).
# Time: about a minute, plus the build.
set -euo pipefail

CONNECTIONS=${1:-1000}
HEAD_BYTES=${HEAD_BYTES:-32000}
AFTER=${AFTER:-3}
GATEWAY_ARGS=${GATEWAY_ARGS:-}
LOG_DIR=${LOG_DIR:-}
case $CONNECTIONS in '' | *[!0-9]* | 0) echo "usage: $0 [CONNECTIONS]" >&2; exit 2 ;; esac

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GATEWAY=$ROOT/target/release/ingress-gateway
WORK=$(mktemp -d /tmp/ingress-pending.XXXXXX)
PIDS=()
STARTED=$SECONDS

log() { printf '[%4ds] %s\n' "$((SECONDS - STARTED))" "$*"; }

cleanup() {
  local status=$? pid
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  if [[ -n $LOG_DIR ]]; then
    mkdir -p "$LOG_DIR"
    cp -r "$WORK"/. "$LOG_DIR"/ 2>/dev/null || true
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The client holds one descriptor per connection, and each proxy one or two.
ulimit -n $((CONNECTIONS * 2 + 1024)) 2>/dev/null ||
  { echo "cannot raise the descriptor limit to $((CONNECTIONS * 2 + 1024))" >&2; exit 1; }

if ! command -v nginx >/dev/null; then
  log "installing nginx"
  apt-get install -y nginx >"$WORK/apt.log" 2>&1 ||
    { apt-get update >>"$WORK/apt.log" 2>&1 && apt-get install -y nginx >>"$WORK/apt.log" 2>&1; } ||
    { cat "$WORK/apt.log" >&2; exit 1; }
fi
command -v python3 >/dev/null || { echo "python3 is needed" >&2; exit 1; }
NGINX=$(command -v nginx)

log "building the gateway (cargo build --release -p ingress-gateway)"
(cd "$ROOT" && timeout 1800 cargo build --release -p ingress-gateway) >"$WORK/build.log" 2>&1 ||
  { tail -30 "$WORK/build.log" >&2; exit 1; }

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

# The start of an nginx config keeping every file under `prefix`.
nginx_preamble() {
  local prefix=$1
  cat <<EOF
worker_processes 1;
pid $prefix/nginx.pid;
error_log $prefix/error.log warn;
events { worker_connections $((CONNECTIONS * 2 + 256)); }
http {
    access_log off;
    client_body_temp_path $prefix/body;
    proxy_temp_path $prefix/proxy;
    fastcgi_temp_path $prefix/fastcgi;
    uwsgi_temp_path $prefix/uwsgi;
    scgi_temp_path $prefix/scgi;
EOF
}

# Starts nginx in the foreground with the config in `dir`; sets NGINX_PID.
start_nginx() {
  local dir=$1 port=$2
  "$NGINX" -t -q -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' >"$dir/test.log" 2>&1 ||
    { cat "$dir/test.log" >&2; exit 1; }
  "$NGINX" -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' >"$dir/stdout.log" 2>&1 &
  NGINX_PID=$!
  PIDS+=("$NGINX_PID")
  wait_port "$port" "$NGINX_PID" || { echo "nginx in $dir did not start" >&2; cat "$dir/error.log" >&2; exit 1; }
}

# Sum of VmRSS over the given pids, in KiB.
rss_kib() {
  local total=0 pid
  for pid in "$@"; do
    total=$((total + $(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")))
  done
  echo "$total"
}

# The client: opens the connections, sends each its unfinished head,
# reports, holds them until the file `release` appears, closes them.
cat >"$WORK/client.py" <<'EOF'
import os, socket, sys, time

host, port, count, size, work = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
head = b"GET / HTTP/1.1\r\nHost: app.example.com\r\nX-Pad: "
head += b"a" * (size - len(head))
sockets = []
for _ in range(count):
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(head)
    sockets.append(s)
# Give the proxy a moment to read it all, then check that every connection
# is still held: nothing answered, nothing closed.
time.sleep(1)
answered = 0
for s in sockets:
    s.setblocking(False)
    try:
        answered += 1 if s.recv(1) is not None else 0
    except BlockingIOError:
        pass
    except OSError:
        answered += 1
print(f"held {count - answered} answered_or_closed {answered}", flush=True)
while not os.path.exists(os.path.join(work, "release")):
    time.sleep(0.05)
for s in sockets:
    s.close()
print("closed", flush=True)
EOF

# Runs the client against `port`, reading RSS of `pids` before, while held
# and after; prints "before held after answered".
measure() {
  local port=$1 name=$2
  shift 2
  local before held after line answered i
  rm -f "$WORK/release"
  before=$(rss_kib "$@")
  python3 "$WORK/client.py" 127.0.0.1 "$port" "$CONNECTIONS" "$HEAD_BYTES" "$WORK" >"$WORK/$name.client" 2>&1 &
  local client=$!
  PIDS+=("$client")
  for ((i = 0; i < 1200; i++)); do
    line=$(head -1 "$WORK/$name.client" 2>/dev/null || true)
    [[ $line == held* ]] && break
    kill -0 "$client" 2>/dev/null || { cat "$WORK/$name.client" >&2; exit 1; }
    sleep 0.1
  done
  [[ $line == held* ]] || { echo "the client did not open its connections" >&2; exit 1; }
  answered=$(awk '{print $4}' <<<"$line")
  held=$(rss_kib "$@")
  touch "$WORK/release"
  wait "$client"
  sleep "$AFTER"
  after=$(rss_kib "$@")
  # Then some ordinary traffic: an allocator that gives memory back lazily
  # (mimalloc) does it while it works.
  python3 - "$port" <<'PY'
import socket, sys
for _ in range(20):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
    for _ in range(50):
        s.sendall(b"GET / HTTP/1.1\r\nHost: app.example.com\r\n\r\n")
        data = b""
        while not data.endswith(b"ok"):
            chunk = s.recv(65536)
            if not chunk:
                sys.exit("closed")
            data += chunk
    s.close()
PY
  sleep 1
  traffic=$(rss_kib "$@")
  echo "$before $held $after $traffic $answered"
}

check_ok() {
  local port=$1 answer
  answer=$(python3 - "$port" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"GET / HTTP/1.1\r\nHost: app.example.com\r\nConnection: close\r\n\r\n")
data = b""
while chunk := s.recv(65536):
    data += chunk
print(data.split(b"\r\n")[0].decode(), data.endswith(b"ok"))
EOF
)
  [[ $answer == "HTTP/1.1 200 OK True" ]] || { echo "port $port answered: $answer" >&2; exit 1; }
}

# ---------------------------------------------------------------- backend

BACKEND_PORT=$(free_port)
mkdir -p "$WORK/backend"
{
  nginx_preamble "$WORK/backend"
  cat <<EOF
    server {
        listen 127.0.0.1:$BACKEND_PORT default_server;
        location / { default_type text/plain; return 200 "ok"; }
    }
}
EOF
} >"$WORK/backend/nginx.conf"
start_nginx "$WORK/backend" "$BACKEND_PORT"
log "backend (nginx) on port $BACKEND_PORT"

# ---------------------------------------------------------------- nginx

NGINX_PORT=$(free_port)
mkdir -p "$WORK/nginx"
{
  nginx_preamble "$WORK/nginx"
  cat <<EOF
    # The gateway's limits: a 32 KiB head (one header line must fit one
    # buffer), a 60 s head timeout, a listen queue of 1024.
    client_header_buffer_size 1k;
    large_client_header_buffers 4 32k;
    client_header_timeout 60s;
    upstream backend { server 127.0.0.1:$BACKEND_PORT; keepalive 16; }
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    server {
        listen 127.0.0.1:$NGINX_PORT default_server backlog=1024;
        location / { proxy_pass http://backend; }
    }
}
EOF
} >"$WORK/nginx/nginx.conf"
start_nginx "$WORK/nginx" "$NGINX_PORT"
PROXY_NGINX=$NGINX_PID
sleep 0.5
NGINX_PIDS=("$PROXY_NGINX" $(pgrep -P "$PROXY_NGINX" || true))
check_ok "$NGINX_PORT"
log "nginx: ${#NGINX_PIDS[@]} processes; holding $CONNECTIONS connections of $HEAD_BYTES bytes"
read -r N_BEFORE N_HELD N_AFTER N_TRAFFIC N_ANSWERED < <(measure "$NGINX_PORT" nginx "${NGINX_PIDS[@]}")
kill -TERM "$PROXY_NGINX"
wait "$PROXY_NGINX" 2>/dev/null || true

# ---------------------------------------------------------------- gateway

mkdir -p "$WORK/gateway/manifests"
cat >"$WORK/gateway/manifests/app.yaml" <<EOF
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: gateway
  annotations:
    ingressclass.kubernetes.io/is-default-class: "true"
spec:
  controller: ingress-rs.dev/ingress-gateway
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: app
  namespace: bench
spec:
  rules:
  - host: app.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: app
            port:
              number: 80
---
apiVersion: v1
kind: Service
metadata:
  name: app
  namespace: bench
spec:
  ports:
  - name: http
    port: 80
    targetPort: http
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: app-local
  namespace: bench
  labels:
    kubernetes.io/service-name: app
addressType: IPv4
ports:
- name: http
  port: $BACKEND_PORT
endpoints:
- addresses: ["127.0.0.1"]
  conditions:
    ready: true
EOF
# shellcheck disable=SC2086
"$GATEWAY" serve --manifests "$WORK/gateway/manifests" --listen 127.0.0.1:0 --workers 1 \
  --max-request-head-bytes 32768 --header-read-timeout-ms 60000 --listen-backlog 1024 $GATEWAY_ARGS \
  >"$WORK/gateway/out.log" 2>"$WORK/gateway/err.log" &
GATEWAY_PID=$!
PIDS+=("$GATEWAY_PID")
GATEWAY_PORT=
for ((i = 0; i < 300; i++)); do
  GATEWAY_PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$WORK/gateway/out.log")
  [[ -n $GATEWAY_PORT ]] && break
  kill -0 "$GATEWAY_PID" 2>/dev/null || break
  sleep 0.1
done
[[ -n $GATEWAY_PORT ]] || { echo "the gateway did not start" >&2; cat "$WORK/gateway/err.log" >&2; exit 1; }
check_ok "$GATEWAY_PORT"
log "gateway: holding $CONNECTIONS connections of $HEAD_BYTES bytes"
read -r G_BEFORE G_HELD G_AFTER G_TRAFFIC G_ANSWERED < <(measure "$GATEWAY_PORT" gateway "$GATEWAY_PID")
kill -TERM "$GATEWAY_PID"
wait "$GATEWAY_PID" 2>/dev/null || true

# ---------------------------------------------------------------- report

per_connection() {
  awk -v before="$1" -v held="$2" -v n="$CONNECTIONS" 'BEGIN { printf "%.1f", (held - before) / n }'
}
echo
echo "$CONNECTIONS connections, each holding an unfinished head of $HEAD_BYTES bytes"
printf '%-8s %11s %10s %11s %13s %13s %9s\n' proxy "before KiB" "held KiB" "after KiB" "+traffic KiB" "KiB per conn" answered
printf '%-8s %11s %10s %11s %13s %13s %9s\n' gateway "$G_BEFORE" "$G_HELD" "$G_AFTER" "$G_TRAFFIC" \
  "$(per_connection "$G_BEFORE" "$G_HELD")" "$G_ANSWERED"
printf '%-8s %11s %10s %11s %13s %13s %9s\n' nginx "$N_BEFORE" "$N_HELD" "$N_AFTER" "$N_TRAFFIC" \
  "$(per_connection "$N_BEFORE" "$N_HELD")" "$N_ANSWERED"
echo "(after: ${AFTER} s after closing them; +traffic: then 1,000 ordinary requests on 20"
echo " connections; answered: connections answered or closed before the count;"
echo " nginx is master + worker)"
if ((G_ANSWERED > 0 || N_ANSWERED > 0)); then
  echo "some connections were not held: the figures do not measure what they say" >&2
  exit 1
fi

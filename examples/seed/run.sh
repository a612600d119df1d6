#!/usr/bin/env bash
# The project's seed scenario, end to end, with no cluster:
#   - a backend behind Service nginx-svc, on 127.0.0.1:8081 (the address the
#     seed manifests' EndpointSlice gives): the real nginx when it is
#     installed, else the gateway's own stand-in page;
#   - ingress-gateway serving examples/manifests/seed on port 80 (8080 when
#     not run as root), admin endpoints on 127.0.0.1:9901.
# Then, from another terminal:  curl 127.0.0.1 -H "host:hello.nginx.com"
# Stops both on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/../.."

port="${PORT:-}"
if [ -z "$port" ]; then
  if [ "$(id -u)" = 0 ]; then port=80; else port=8080; fi
fi

cargo build --release --quiet -p ingress-gateway
gateway=target/release/ingress-gateway
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

page=""
for candidate in /usr/share/nginx/html/index.html /var/www/html/index.nginx-debian.html; do
  if [ -f "$candidate" ]; then page=$(dirname "$candidate"); index=$(basename "$candidate"); break; fi
done
if command -v nginx >/dev/null 2>&1 && [ -n "$page" ]; then
  cat > "$work/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log stderr warn;
events { worker_connections 1024; }
http {
  access_log off;
  server {
    listen 127.0.0.1:8081;
    root $page;
    index $index;
  }
}
NGINX
  nginx -c "$work/nginx.conf" -p "$work" &
  pids+=($!)
  echo "backend: nginx $(nginx -v 2>&1 | sed 's/.*nginx\///') on 127.0.0.1:8081, serving $page/$index"
else
  "$gateway" welcome --listen 127.0.0.1:8081 &
  pids+=($!)
  echo "backend: nginx is not installed; ingress-gateway's stand-in serves a copy of the nginx welcome page on 127.0.0.1:8081"
fi

echo "gateway: http://127.0.0.1:$port (try: curl 127.0.0.1:$port -H \"host:hello.nginx.com\")"
"$gateway" serve --manifests examples/manifests/seed --listen "127.0.0.1:$port" --admin-listen 127.0.0.1:9901 &
pids+=($!)
wait "${pids[-1]}"

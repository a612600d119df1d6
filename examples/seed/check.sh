#!/usr/bin/env bash
# CI's check of the seed scenario: start examples/seed/run.sh, ask the
# gateway for hello.nginx.com, expect nginx's welcome page. Bounded in time.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PORT="${PORT:-18080}"
# Built first: run.sh builds too (a no-op then), and the waits below are for
# the gateway to start, not for a release build from a clean checkout.
cargo build --release --quiet -p ingress-gateway
log=$(mktemp)
setsid bash examples/seed/run.sh >"$log" 2>&1 &
runner=$!
stop() { kill -- "-$runner" 2>/dev/null || kill "$runner" 2>/dev/null || true; }
trap stop EXIT

ready=no
for _ in $(seq 1 600); do
  if curl -s -o /dev/null "127.0.0.1:9901/readyz" 2>/dev/null; then ready=yes; break; fi
  sleep 0.2
done
for _ in $(seq 1 50); do
  page=$(curl -s --max-time 5 "127.0.0.1:$PORT" -H "host:hello.nginx.com" || true)
  if grep -q "Welcome to nginx!" <<<"$page"; then
    grep -m1 "^backend:" "$log"
    echo "seed scenario: curl 127.0.0.1:$PORT -H host:hello.nginx.com printed the welcome page"
    exit 0
  fi
  sleep 0.2
done
echo "seed scenario FAILED (admin /readyz answered within 120 s: $ready); the runner said:" >&2
cat "$log" >&2
exit 1

#!/usr/bin/env bash
# The cluster feed at scale (issue #11): event-to-route latency, CPU per
# change and memory of `ingress-gateway serve --kube` at N Ingresses (each
# with a Service and an EndpointSlice, as `kubectl apply` and the
# EndpointSlice controller write them) against the fake API server, all on
# 127.0.0.1, in one run of the `kube_feed` benchmark
# (examples/gateway/benches/kube_feed/):
#
#  - latency: K changes (half new Ingresses, half a new host on a seeded
#    one), each measured from just before the write until a keep-alive
#    client polling the gateway reaches the backend through the new host;
#    baseline: when a plain kube 5 watcher in the benchmark's process sees
#    the same event (so the difference is the gateway's share);
#  - CPU: the gateway's user+system time (/proc/PID/stat) over those
#    changes, less the same number of polls with no change, per change;
#  - memory and start-up: VmRSS/VmHWM (/proc/PID/status) once ready, and
#    spawn-to-/readyz time, for the API-server-fed gateway, the same objects
#    from manifest files (`serve --manifests`), and idle gateways.
#
# Usage: bash bench/kube-feed.sh [ROUNDS]   (default 1; each round is a
# fresh run, about a minute at the defaults once built)
# Knobs (environment): KUBE_FEED_N (10000), KUBE_FEED_K (200),
# KUBE_FEED_QUIET_MS (10) and KUBE_FEED_MAX_MS (100), the gateway's
# --coalesce-quiet-ms/--coalesce-max-ms; KUBE_FEED_POLL_US (500).
set -euo pipefail

ROUNDS=${1:-1}
case $ROUNDS in '' | *[!0-9]* | 0) echo "usage: $0 [ROUNDS]" >&2; exit 2 ;; esac
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

echo "building the benchmark (release)" >&2
(cd "$ROOT" && cargo bench -p ingress-gateway --bench kube_feed --no-run) 2>&1 | tail -1 >&2

for ((round = 1; round <= ROUNDS; round++)); do
  echo "== round $round of $ROUNDS" >&2
  (cd "$ROOT" && cargo bench -q -p ingress-gateway --bench kube_feed)
done

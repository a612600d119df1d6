#!/usr/bin/env python3
"""Helpers for bench/load.sh: one route set written out three ways (Ingress
manifests for the gateway, an nginx reverse-proxy config with the equivalent
server/location blocks, a request list for wrk), plus the sanity check, the
manifest churn of the reload run, and the final report.

Route set of size N: host h (h = 0, 1, ...) is `svc-h.team-(h % 50).bench.test`
with up to four paths, in this order:

    Prefix /api        nginx: location /api/  and  location = /api
    Prefix /static/js  nginx: location /static/js/  and  location = /static/js
    Prefix /docs       nginx: location /docs/  and  location = /docs
    Exact  /login      nginx: location = /login

so 10 routes are hosts 0-1 with all four and host 2 with the first two, and
10,000 routes are 2,500 hosts x 4 paths. One Ingress per host, all to the
Service `backend-svc` (port 80, targetPort named `http`), whose EndpointSlice
points at the backend; `backend-alt` is the same backend under another name,
used by the reload run to change an Ingress's backend for real.

Why the nginx locations are equivalent: an Ingress Prefix `/p` matches `/p`
and every path under `/p/` (element-wise), never `/px`; nginx's
`location = /p` takes the first, the prefix location `/p/` the rest, and
`/px` matches neither. nginx picks an exact location first, then the longest
prefix, as Ingress matching does (Exact beats Prefix, longest Prefix wins).
Unknown hosts go to a default server answering 404, as the gateway does.

Subcommands:
  manifests DIR ROUTES BACKEND_PORT     gateway manifests (host 0's Ingress in churn.yaml)
  nginx-proxy CONF ROUTES LISTEN_PORT BACKEND_PORT PREFIX
  nginx-backend CONF LISTEN_PORT PREFIX
  requests FILE ROUTES                  "host path" lines, one per route, shuffled
  check PORT FILE                       every request answered 200 "ok"; unknown host 404
  churn DIR CHANGES INTERVAL_S          rewrites DIR/churn.yaml CHANGES times
  report RESULTS RELOADS                prints the final tables
"""
import http.client
import os
import random
import statistics
import sys
import time

PATHS = [("/api", "Prefix"), ("/static/js", "Prefix"), ("/docs", "Prefix"), ("/login", "Exact")]
CHURN_EXTRA_PATH = "/churn-extra"
# The default IngressClass of the gateway's controller (also used by
# gen-manifests.py).
INGRESS_CLASS = """apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: ingress-gateway
  annotations:
    ingressclass.kubernetes.io/is-default-class: "true"
spec:
  controller: ingress-rs.dev/ingress-gateway
"""


def host_name(h):
    return f"svc-{h}.team-{h % 50}.bench.test"


def route_set(routes):
    """[(host, [(path, type), ...]), ...] holding exactly `routes` routes."""
    hosts = []
    left = routes
    h = 0
    while left > 0:
        take = min(left, len(PATHS))
        hosts.append((host_name(h), PATHS[:take]))
        left -= take
        h += 1
    return hosts


def ingress_doc(index, host, paths, service):
    rules = "".join(
        f"""      - path: {path}
        pathType: {kind}
        backend:
          service:
            name: {service}
            port:
              number: 80
"""
        for path, kind in paths
    )
    return f"""apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ing-{index}
  namespace: bench
spec:
  rules:
  - host: {host}
    http:
      paths:
{rules}"""


def write_atomically(path, text):
    # The temporary name starts with '.', so the gateway neither reads it
    # nor counts it in its change stamp; rename makes the change atomic.
    tmp = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".tmp")
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def cmd_manifests(out, routes, backend_port):
    routes, backend_port = int(routes), int(backend_port)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "class.yaml"), "w") as f:
        f.write(INGRESS_CLASS)
    services = []
    for name in ("backend-svc", "backend-alt"):
        services.append(f"""apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: bench
spec:
  type: ClusterIP
  ports:
  - name: http
    port: 80
    targetPort: http
    protocol: TCP
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: {name}-local
  namespace: bench
  labels:
    kubernetes.io/service-name: {name}
addressType: IPv4
ports:
- name: http
  port: {backend_port}
  protocol: TCP
endpoints:
- addresses: ["127.0.0.1"]
  conditions:
    ready: true
""")
    with open(os.path.join(out, "services.yaml"), "w") as f:
        f.write("---\n".join(services))
    hosts = route_set(routes)
    # Host 0's Ingress lives alone in churn.yaml, the file the reload run edits.
    write_atomically(os.path.join(out, "churn.yaml"), churn_state(0))
    per_file = 100
    for start in range(1, len(hosts), per_file):
        docs = [ingress_doc(i, host, paths, "backend-svc")
                for i, (host, paths) in enumerate(hosts[start:start + per_file], start)]
        with open(os.path.join(out, f"ingresses-{start // per_file:03}.yaml"), "w") as f:
            f.write("---\n".join(docs))


def churn_state(step):
    """The Ingress of host 0 at churn step `step`. Steps cycle through four
    states, each one a real change from the one before: backend to
    backend-alt, add a path, backend back to backend-svc, remove the path."""
    state = step % 4
    service = "backend-alt" if state in (1, 2) else "backend-svc"
    paths = list(PATHS)
    if state in (2, 3):
        paths.append((CHURN_EXTRA_PATH, "Prefix"))
    return f"# churn step {step}\n" + ingress_doc(0, host_name(0), paths, service)


def cmd_churn(out, changes, interval):
    changes, interval = int(changes), float(interval)
    path = os.path.join(out, "churn.yaml")
    started = time.monotonic()
    for step in range(1, changes + 1):
        # Paced on a fixed schedule so that slow writes do not stretch it.
        delay = started + step * interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        write_atomically(path, churn_state(step))
    print(f"churn: {changes} changes written in {time.monotonic() - started:.1f} s", flush=True)


def nginx_preamble(comment, prefix):
    """The start of an nginx config (up to inside `http {`) that keeps every
    file of the instance under `prefix`."""
    return f"""{comment}
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
"""


def cmd_nginx_backend(conf, port, prefix):
    with open(conf, "w") as f:
        f.write(nginx_preamble('# The backend both proxies forward to: "ok" for every path.', prefix))
        f.write(f"""    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port} default_server;
        location / {{ default_type text/plain; return 200 "ok"; }}
    }}
}}
""")


def nginx_locations(path, kind):
    if kind == "Exact":
        return [f"location = {path}"]
    if path == "/":
        return ["location /"]
    return [f"location {path}/", f"location = {path}"]


def cmd_nginx_proxy(conf, routes, port, backend_port, prefix):
    routes = int(routes)
    lines = [nginx_preamble("# nginx as the reverse proxy, with the routes of the gateway's manifests.", prefix)]
    lines.append(f"""    server_names_hash_max_size 32768;
    server_names_hash_bucket_size 128;
    # nginx's default closes a client connection after 1000 requests; the
    # gateway never does, so both keep wrk's connections open.
    keepalive_requests 1000000;
    upstream backend {{
        server 127.0.0.1:{backend_port};
        keepalive 64;
        keepalive_requests 1000000;
    }}
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    # What the gateway sends upstream: the client's Host unchanged, X-Forwarded-*.
    proxy_set_header Host $http_host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header X-Forwarded-Host $http_host;
    server {{
        listen 127.0.0.1:{port} default_server;
        location / {{ return 404; }}
    }}
""")
    for host, paths in route_set(routes):
        lines.append(f"    server {{\n        listen 127.0.0.1:{port};\n        server_name {host};\n")
        for path, kind in paths:
            for location in nginx_locations(path, kind):
                lines.append(f"        {location} {{ proxy_pass http://backend; }}\n")
        lines.append("    }\n")
    lines.append("}\n")
    with open(conf, "w") as f:
        f.write("".join(lines))


def cmd_requests(out, routes):
    """One request per route: Exact paths as they are; Prefix paths alternate
    between the prefix itself and a path under it with a query."""
    reqs = []
    for h, (host, paths) in enumerate(route_set(int(routes))):
        for k, (path, kind) in enumerate(paths):
            if kind == "Prefix" and (h + k) % 2 == 0:
                target = f"{path}/item-{h}?page={k}"
            else:
                target = path
            reqs.append(f"{host} {target}")
    random.Random(42).shuffle(reqs)
    with open(out, "w") as f:
        f.write("\n".join(reqs) + "\n")


def cmd_check(port, file):
    """Sends every request of the list once over one keep-alive connection."""
    port = int(port)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    bad = []
    count = 0
    with open(file) as f:
        lines = [line.split() for line in f if line.strip()]
    for host, target in lines:
        conn.request("GET", target, headers={"Host": host})
        response = conn.getresponse()
        body = response.read()
        count += 1
        if response.status != 200 or body != b"ok":
            bad.append(f"{host} {target}: {response.status} {body[:60]!r}")
    conn.request("GET", "/api", headers={"Host": "unknown.bench.test"})
    response = conn.getresponse()
    response.read()
    if response.status != 404:
        bad.append(f"unknown.bench.test /api: {response.status}, expected 404")
    conn.close()
    if bad:
        print(f"check on port {port}: {len(bad)} wrong answers, first ones:", *bad[:5], sep="\n  ")
        sys.exit(1)
    print(f"check on port {port}: {count} requests answered 200 \"ok\", unknown host 404")


def fmt_latency(us):
    return f"{us / 1000:.2f} ms" if us >= 1000 else f"{us:.0f} us"


def fmt_mib(kib):
    return f"{kib / 1024:.1f} MiB"


def cmd_report(results, reloads):
    rows = {}
    with open(results) as f:
        for line in f:
            if not line.strip():
                continue
            fields = dict(item.split("=", 1) for item in line.split())
            rows.setdefault((int(fields["routes"]), fields["proxy"]), []).append(fields)

    for runs in rows.values():
        for r in runs:
            for key in ("rps", "p50_us", "p99_us", "rss_kib", "pss_kib", "cpu0", "cpu1", "proxy_cpu", "load_cpu"):
                r[key] = float(r[key])
            r["per_cpu"] = r["rps"] * 100 / max(r["proxy_cpu"], 1)
            # Busy time of each core not used by what this script runs there.
            r["other0"] = max(r["cpu0"] - r["proxy_cpu"], 0)
            r["other1"] = max(r["cpu1"] - r["load_cpu"], 0)
            r["other"] = max(r["other0"], r["other1"])

    sizes = sorted({size for size, _ in rows})
    print()
    print("All rounds (other: % of core 0 / core 1 busy with work not started by this script)")
    for size in sizes:
        for proxy in ("nginx", "gateway"):
            for n, r in enumerate(rows.get((size, proxy), []), 1):
                print(f"  {size:>6} routes {proxy:<7} round {n}: {r['rps']:>7.0f} req/s  p50 {fmt_latency(r['p50_us']):>8}"
                      f"  p99 {fmt_latency(r['p99_us']):>9}  proxy CPU {r['proxy_cpu']:>3.0f}%"
                      f"  {r['per_cpu']:>6.0f} req/CPU-s  load CPU {r['load_cpu']:>3.0f}%"
                      f"  other {r['other0']:>2.0f}% / {r['other1']:>2.0f}%")
    print()
    print("Throughput, latency, memory: wrk -t1 -c50 --latency, the same request list and backend for both;")
    print("the median of each figure over the rounds (the VM's noise is mostly invisible from inside, so no")
    print("round is preferred). RSS after the run (nginx: master + worker; PSS counts their shared pages once).")
    print("proxy CPU: the proxy's own CPU time over the run, % of one core; req/CPU-s: requests per second of")
    print("proxy CPU; load CPU: wrk's and the backend's CPU time on core 1 (near 100%: the load side, not")
    print("the proxy, set the pace, so the proxy's requests/s is a lower bound); other: the larger of the")
    print("two cores' busy time (softirq aside) not used by the proxy (core 0) or by wrk and the backend")
    print("(core 1), i.e. other work on the machine.")
    cols = [("routes", 6), ("proxy", 7), ("requests/s", 10), ("p50", 9), ("p99", 9), ("RSS", 9), ("PSS", 9),
            ("proxy CPU", 9), ("req/CPU-s", 9), ("load CPU", 8), ("other", 5), ("errors", 6), ("rounds", 6)]
    print("| " + " | ".join(f"{name:>{width}}" if i != 1 else f"{name:<{width}}"
                            for i, (name, width) in enumerate(cols)) + " |")
    print("|" + "|".join("-" * (width + 2) for _, width in cols) + "|")
    ratios = []
    capped = []
    noisy = []
    for size in sizes:
        summary = {}
        for proxy in ("nginx", "gateway"):
            runs = rows.get((size, proxy))
            if not runs:
                continue
            for n, r in enumerate(runs, 1):
                if r["other"] > 10:
                    noisy.append(f"{size} routes, {proxy}, round {n}: {r['other']:.0f}% of a core taken by other work")
            s = {key: statistics.median(r[key] for r in runs)
                 for key in ("rps", "p50_us", "p99_us", "rss_kib", "pss_kib", "proxy_cpu", "per_cpu", "load_cpu",
                             "other")}
            if s["load_cpu"] >= 95:
                capped.append(f"{size} routes, {proxy}: wrk and the backend used {s['load_cpu']:.0f}% of core 1; "
                              "its requests/s is a lower bound (compare req/CPU-s)")
            errors = sum(int(r["non2xx"]) + int(r["sockerr"]) for r in runs)
            summary[proxy] = s
            values = [size, proxy, f"{s['rps']:.0f}", fmt_latency(s["p50_us"]), fmt_latency(s["p99_us"]),
                      fmt_mib(s["rss_kib"]), fmt_mib(s["pss_kib"]), f"{s['proxy_cpu']:.0f}%",
                      f"{s['per_cpu']:.0f}", f"{s['load_cpu']:.0f}%", f"{s['other']:.0f}%", errors, len(runs)]
            print("| " + " | ".join(f"{v:>{w}}" if i != 1 else f"{v:<{w}}"
                                     for i, (v, (_, w)) in enumerate(zip(values, cols))) + " |")
        if "nginx" in summary and "gateway" in summary:
            g, n = summary["gateway"], summary["nginx"]
            ratios.append((size, g["rps"] / n["rps"], g["per_cpu"] / n["per_cpu"], g["p50_us"] / n["p50_us"],
                           g["p99_us"] / n["p99_us"], g["rss_kib"] / n["rss_kib"]))
    print("(errors: non-2xx responses and socket errors over all rounds)")
    print()
    print("Ratio gateway / nginx (requests/s and req/CPU-s: above 1 favours the gateway; latency, RSS: below 1)")
    cols = [("routes", 6), ("requests/s", 10), ("req/CPU-s", 9), ("p50", 5), ("p99", 5), ("RSS", 5)]
    print("| " + " | ".join(f"{name:>{width}}" for name, width in cols) + " |")
    print("|" + "|".join("-" * (width + 2) for _, width in cols) + "|")
    for size, *values in ratios:
        print("| " + " | ".join([f"{size:>6}"] + [f"{v:>{w}.2f}" for v, (_, w) in zip(values, cols[1:])]) + " |")
    if capped:
        print()
        print("note: the load side was saturated in these cells:")
        for line in capped:
            print("  " + line)
    if noisy:
        print()
        print("warning: other work competed for the cores in these rounds; if it moved the medians, run again:")
        for line in noisy:
            print("  " + line)

    if os.path.exists(reloads) and os.path.getsize(reloads):
        print()
        print("Reload run: the gateway under wrk load while churn.yaml changes (one Ingress: backend")
        print("switched or a path added/removed, alternating); non-2xx counted by status in Lua")
        header = (f"| {'routes':>6} | {'load':>5} | {'changes':>7} | {'reloads logged':>14} | {'failed':>6} | "
                  f"{'requests':>9} | {'non-2xx':>7} | {'socket errors':>13} | {'requests/s':>10} | {'p99':>9} | {'max':>9} | "
                  f"{'reload ms (median/max)':>22} |")
        print(header)
        print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
        with open(reloads) as f:
            for line in f:
                if not line.strip():
                    continue
                r = dict(item.split("=", 1) for item in line.split())
                print(f"| {r['routes']:>6} | {r['seconds']:>4}s | {r['changes']:>7} | {r['reloads']:>14} | {r['failed']:>6} | "
                      f"{r['requests']:>9} | {r['non2xx']:>7} | {r['sockerr']:>13} | {float(r['rps']):>10.0f} | "
                      f"{fmt_latency(float(r['p99_us'])):>9} | {fmt_latency(float(r['max_us'])):>9} | "
                      f"{r['reload_ms']:>22} |")
        print("(reloads logged: \"manifests loaded\" lines after the initial load; failed: \"reload failed\" or")
        print(" \"manifest does not parse\" lines; socket errors: connect + read + write + timeout; reload ms:")
        print(" the build time each \"manifests loaded\" line gives)")


def main():
    commands = {
        "manifests": cmd_manifests,
        "nginx-proxy": cmd_nginx_proxy,
        "nginx-backend": cmd_nginx_backend,
        "requests": cmd_requests,
        "check": cmd_check,
        "churn": cmd_churn,
        "report": cmd_report,
    }
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](*sys.argv[2:])


if __name__ == "__main__":
    main()

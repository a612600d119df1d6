#!/usr/bin/env python3
"""Writes a directory of manifests for load tests: N Ingresses of 3 paths
each over FILES files, two Ingresses per host, plus our default
IngressClass. Usage: gen-manifests.py DIR [INGRESSES] [FILES]"""
import os
import sys

from load_helper import INGRESS_CLASS

out = sys.argv[1]
ingresses = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
files = int(sys.argv[3]) if len(sys.argv) > 3 else 300
paths = ["/", "/api", "/api/v1", "/static", "/assets/js", "/login", "/healthz", "/docs/v1"]

os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "class.yaml"), "w") as f:
    f.write(INGRESS_CLASS)
per_file = -(-ingresses // files)
for n in range(files):
    docs = []
    for i in range(n * per_file, min(ingresses, (n + 1) * per_file)):
        host = f"app-{i // 2}.ns{i % 50}.example.com"
        chosen = [paths[(i + k * 3) % len(paths)] for k in range(3)]
        rules = "".join(
            f"""      - path: {p}
        pathType: {"Exact" if k == 2 else "Prefix"}
        backend:
          service:
            name: svc-{i % 97}
            port:
              number: 8080
""" for k, p in enumerate(chosen))
        docs.append(f"""apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ing-{i}
  namespace: ns{i % 50}
spec:
  rules:
  - host: {host}
    http:
      paths:
{rules}""")
    if docs:
        with open(os.path.join(out, f"ingresses-{n:03}.yaml"), "w") as f:
            f.write("---\n".join(docs))

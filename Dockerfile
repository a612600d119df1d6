# syntax=docker/dockerfile:1
#
# ingress-gateway as a small static image:
#   docker build -t ingress-gateway:0.1.0 .
# The binary is linked statically against musl (mimalloc and ring compile
# their C code with musl-gcc), so the final stage needs no libc at all.

# --- build ---------------------------------------------------------------
# The workspace's rust-version is 1.89 (serde-saphyr's floor).
FROM rust:1.89-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends musl-tools \
    && rm -rf /var/lib/apt/lists/* \
    && rustup target add x86_64-unknown-linux-musl
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p ingress-gateway \
        --target x86_64-unknown-linux-musl \
    && install -D -m 0755 target/x86_64-unknown-linux-musl/release/ingress-gateway \
        /out/ingress-gateway

# --- run -----------------------------------------------------------------
# distroless/static: no shell, no package manager; CA certificates (for an
# https API server), /etc/passwd with the nonroot user 65532, and tzdata.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ingress-gateway /usr/local/bin/ingress-gateway
USER 65532:65532
# mimalloc keeps freed pages for a while by default; with no delay the memory
# of closed connections (say, a burst of slow clients) goes back to the
# system at once, at no measured cost (docs/performance.md).
ENV MIMALLOC_PURGE_DELAY=0
# 8080: routed traffic; 8443: the same over TLS; 9901: /healthz, /readyz,
# /metrics, /routes.
EXPOSE 8080 8443 9901
ENTRYPOINT ["/usr/local/bin/ingress-gateway"]
CMD ["serve", "--kube", "--listen", "0.0.0.0:8080", "--listen-tls", "0.0.0.0:8443", "--admin-listen", "0.0.0.0:9901"]

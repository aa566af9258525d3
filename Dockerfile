# syntax=docker/dockerfile:1
# Tessera: a small runtime image with the release binary and the example bots.
#   docker build -t tessera .
#   docker run -p 8080:8080 tessera                      # in-memory store
#   docker run -p 8080:8080 -e TESSERA_STORE=redis://redis:6379 tessera
# docker-compose.yml runs it together with Redis.

FROM rust:1-bookworm AS build
WORKDIR /src
# Only what the build needs: openapi.yaml and schemas/ may be embedded with include_str!, and
# the bench target must exist for Cargo to read the manifest.
COPY Cargo.toml Cargo.lock openapi.yaml ./
COPY src ./src
COPY benches ./benches
COPY schemas ./schemas
# The example bots are compiled into the binary too (src/bundled.rs).
COPY flows ./flows
# The cache mounts keep the registry and compiled dependencies between builds. The release
# profile keeps line tables for profiling; the image drops them (102 MB to 18 MB) and
# keeps the symbols, so backtraces still name functions.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin tessera \
    && install -D -m 0755 target/release/tessera /out/tessera \
    && strip --strip-debug /out/tessera

FROM debian:bookworm-slim
# ca-certificates: outbound HTTPS from webhook blocks. curl: the health check.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin tessera
WORKDIR /app
COPY --from=build /out/tessera /usr/local/bin/tessera
COPY flows ./flows
USER tessera
ENV TESSERA_HOST=0.0.0.0 \
    TESSERA_PORT=8080 \
    TESSERA_FLOWS=/app/flows
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/readyz >/dev/null || exit 1
CMD ["tessera", "serve"]

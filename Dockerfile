# The Rust services: `docker build --build-arg SERVICE=orders .` (or payments, gateway).
# compose.yaml builds all three from here; the dependency layers are the same for each.

# cargo-chef splits the build: `cook` compiles the dependencies from the lock file and the
# manifests alone, so that layer is reused until Cargo.toml or Cargo.lock changes.
FROM rust:1.95-bookworm AS chef
RUN cargo install cargo-chef --locked --version 0.1.78
WORKDIR /app

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
COPY --from=planner /app/recipe.json recipe.json
# librdkafka is built from source here (make, gcc and g++ come with the image); no protoc,
# the contracts are compiled by protox.
RUN cargo chef cook --release --recipe-path recipe.json \
    -p orders -p payments -p gateway
COPY . .
ARG SERVICE
RUN test -n "$SERVICE" || { echo "build with --build-arg SERVICE=orders|payments|gateway"; exit 1; } \
    && cargo build --release --locked --bin "$SERVICE" \
    && cp "target/release/$SERVICE" /usr/local/bin/

FROM debian:bookworm-slim AS runtime
RUN groupadd --system --gid 10001 orderflow \
    && useradd --system --uid 10001 --gid orderflow --no-create-home orderflow
ARG SERVICE
COPY --from=builder /usr/local/bin/${SERVICE} /usr/local/bin/${SERVICE}
# One entry point whatever the service; `<service> --health-check` is its probe.
RUN ln -s "/usr/local/bin/${SERVICE}" /usr/local/bin/orderflow-service
USER orderflow
ENTRYPOINT ["/usr/local/bin/orderflow-service"]

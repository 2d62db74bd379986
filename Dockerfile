# syntax=docker/dockerfile:1
# foo-apiserver as one static binary (musl) on distroless: no shell, no libc, not root.
#   docker build -t ghcr.io/jeremyxu2010/foo-apiserver:0.1.0 .
# The same image runs the server (no arguments but flags) and `controller`; see
# `foo-apiserver manifests` for how a cluster runs both.

FROM rust:1.95-bookworm AS builder
# Building on an arm64 machine: --build-arg TARGET=aarch64-unknown-linux-musl.
ARG TARGET=x86_64-unknown-linux-musl
# ring, the only C code (rustls and rcgen use it), is compiled with musl-gcc; nothing needs
# protoc (etcd's messages are written out by hand) or OpenSSL.
RUN apt-get update \
    && apt-get install -y --no-install-recommends musl-tools \
    && rm -rf /var/lib/apt/lists/* \
    && rustup target add "$TARGET"
ENV TARGET_CC=musl-gcc
WORKDIR /src
# The whole workspace (see .dockerignore): Cargo reads every member's manifest.
COPY . .
# The caches speed up rebuilds; the binary is copied out because cache mounts are not part of
# the image.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin foo-apiserver --target "$TARGET" \
    && cp "target/$TARGET/release/foo-apiserver" /foo-apiserver

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=builder /foo-apiserver /foo-apiserver
# distroless's nonroot user, which the manifests' securityContext names too.
USER 65532:65532
ENTRYPOINT ["/foo-apiserver"]

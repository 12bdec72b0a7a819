# syntax=docker/dockerfile:1
# hookwright operator image: a static musl binary on distroless/static, running as non-root.
#   make image                    (IMAGE=hookwright:dev)
#   docker build -t hookwright .
# CI has no container engine; `make static` runs this build stage's cargo command (with the
# cheaper `static` profile) so the stage is known to compile.

# --- build ----------------------------------------------------------------------------------
FROM docker.io/library/rust:1.95-bookworm AS build
ARG TARGET=x86_64-unknown-linux-musl
# ring compiles C for the target: musl-gcc comes from musl-tools.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends musl-tools \
 && rm -rf /var/lib/apt/lists/* \
 && rustup target add "$TARGET"
WORKDIR /src
# .dockerignore leaves out target/ and .git/ only: cargo needs every target the manifest names.
COPY . .
# BuildKit cache mounts keep the registry and target/ between builds.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    CC_x86_64_unknown_linux_musl=musl-gcc cargo build --locked --release --target "$TARGET" --bin hookwright \
 && cp "target/$TARGET/release/hookwright" /hookwright \
 && if readelf -lW /hookwright | grep -q 'program interpreter'; then echo 'not a static binary' >&2; exit 1; fi \
 && /hookwright version

# --- runtime --------------------------------------------------------------------------------
# distroless/static: CA certificates, /etc/passwd with nonroot (65532), tzdata; no shell.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /hookwright /hookwright
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/hookwright"]
CMD ["run"]

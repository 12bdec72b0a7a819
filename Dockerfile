# syntax=docker/dockerfile:1
# hookwright's image with Docker, for those who have it: the same image that `make image` builds
# without a container engine (hack/image.sh; CI and releases use that). Both build the static musl
# binary with hack/image.sh's cargo command and its root filesystem with tools/image/rootfs.sh,
# so the image holds the same two files (/hookwright and /etc/ssl/certs/ca-certificates.crt) on an
# empty base, with the same user, entrypoint, argument and labels; tests/chart/image.rs checks
# this file against the OCI config of `make image`.
#   docker buildx build --platform linux/amd64,linux/arm64 -t hookwright .
#   make docker-image            (IMAGE=hookwright:dev)

# --- build: on the builder's own platform, cross-compiling for the target's -----------------
FROM --platform=$BUILDPLATFORM docker.io/library/rust:1.95-bookworm AS build
ARG TARGETARCH
# ring compiles C for the target: musl-gcc (musl-tools) for amd64, Debian's aarch64 cross
# compiler for arm64. ca-certificates' package is the source of the CA bundle.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends musl-tools gcc-aarch64-linux-gnu libc6-dev-arm64-cross \
 && mkdir /deb && cd /deb && apt-get download ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && rustup target add x86_64-unknown-linux-musl aarch64-unknown-linux-musl
WORKDIR /src
# .dockerignore leaves out target/ and .git/ only: cargo needs every target the manifest names.
COPY . .
# BuildKit cache mounts keep the registry and target/ between builds.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target,id=hookwright-target-$TARGETARCH \
    bin=$(IMAGE_PROFILE=release hack/image.sh binary "$TARGETARCH") \
 && tools/image/rootfs.sh "$bin" /deb/ca-certificates_*.deb /rootfs

# --- runtime: nothing but the root filesystem ------------------------------------------------
FROM scratch
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
ARG SOURCE=https://github.com/hookwright/hookwright
COPY --from=build /rootfs/ /
USER 65532:65532
WORKDIR /
EXPOSE 8080
ENTRYPOINT ["/hookwright"]
CMD ["run"]
LABEL org.opencontainers.image.title="hookwright" \
      org.opencontainers.image.description="Kubernetes operator that manages SaaS webhook subscriptions (Mendix, Socotra) as custom resources" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.created="${CREATED}"

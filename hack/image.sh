#!/usr/bin/env bash
# `make image`: hookwright's container image for linux/amd64 and linux/arm64 without a container
# engine, as one multi-architecture OCI image layout in target/image/oci.
#   1. the static musl binary per architecture (cargo profile $IMAGE_PROFILE, default release):
#      amd64 with musl-gcc (musl-tools), arm64 cross-compiled with Debian's gcc-aarch64-linux-gnu
#      as C compiler (ring) and linker; Rust's musl targets bring their own libc
#   2. its root filesystem: the binary and the CA bundle of Debian's ca-certificates
#      (tools/image/rootfs.sh, which the Dockerfile runs too)
#   3. the OCI layout: layers, configs, manifests and the index (tools/image/oci-layout.py)
# Writes target/image/{oci/,rootfs/<arch>/,digest,image.json}; prints the digest and sizes.
#   hack/image.sh                 everything above
#   hack/image.sh binary ARCH     build one architecture's binary; prints its path (Dockerfile)
# Environment: IMAGE_PROFILE (release), IMAGE_VERSION (Cargo.toml's), IMAGE_SOURCE (the source
# repository URL for the OCI labels), SOURCE_DATE_EPOCH (the creation time; default the commit's).
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${IMAGE_PROFILE:-release}
out=target/image

fail() { echo "make image: $*" >&2; exit 1; }

# rust target, C compiler/linker, Debian package that has it
arch_target() {
  case $1 in
    amd64) echo "x86_64-unknown-linux-musl musl-gcc musl-tools" ;;
    arm64) echo "aarch64-unknown-linux-musl aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu" ;;
    *) fail "unknown architecture $1 (amd64 or arm64)" ;;
  esac
}

build_binary() { # arch; prints the binary's path
  local target cc pkg
  read -r target cc pkg <<<"$(arch_target "$1")"
  command -v "$cc" >/dev/null || fail "$cc not found (apt-get install $pkg; hack/setup.sh does)"
  if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx "$target"; then
    fail "Rust target $target missing (rustup target add $target; hack/setup.sh does)"
  fi
  local t=${target//-/_}
  local vars=("CC_$t=$cc")
  # The musl targets link with `cc` by default; a cross build needs the cross linker.
  [ "$1" = amd64 ] || vars+=("AR_$t=${cc%gcc}ar" "CARGO_TARGET_${t^^}_LINKER=$cc")
  env "${vars[@]}" "${CARGO:-cargo}" build --locked --profile "$profile" --target "$target" --bin hookwright >&2 \
    || fail "cargo build for linux/$1 failed"
  local dir=$profile
  [ "$profile" = dev ] && dir=debug
  echo "${CARGO_TARGET_DIR:-target}/$target/$dir/hookwright"
}

if [ "${1:-}" = binary ]; then
  [ $# -eq 2 ] || fail "usage: $0 binary amd64|arm64"
  build_binary "$2"
  exit 0
fi

start=$(date +%s)
deb=$(tools/image/ca-certificates.sh)
rootfs_args=()
for arch in amd64 arm64; do
  bin=$(build_binary "$arch")
  tools/image/rootfs.sh "$bin" "$deb" "$out/rootfs/$arch"
  rootfs_args+=(--rootfs "$arch=$out/rootfs/$arch")
done

revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
created=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
version_args=()
[ -z "${IMAGE_VERSION:-}" ] || version_args=(--version "$IMAGE_VERSION")
digest=$(python3 tools/image/oci-layout.py --out "$out/oci" "${rootfs_args[@]}" "${version_args[@]}" \
  --revision "$revision" --source "${IMAGE_SOURCE:-https://github.com/hookwright/hookwright}" \
  --created "$created" --summary "$out/image.json")
echo "$digest" >"$out/digest"

python3 - "$out/image.json" "$profile" "$(basename "$deb")" "$(($(date +%s) - start))" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
mb = lambda n: f"{n / 1e6:.1f} MB"
print(f"image: target/image/oci, hookwright {s['version']} (profile {sys.argv[2]}, CA bundle from {sys.argv[3]}) in {sys.argv[4]}s")
print(f"  digest {s['digest']}")
for p, v in sorted(s["platforms"].items()):
    print(f"  {p}: {mb(v['pull_bytes'])} to pull ({mb(v['uncompressed_bytes'])} unpacked), manifest {v['manifest']}")
PY

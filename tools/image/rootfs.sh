#!/usr/bin/env bash
# The image's root filesystem, for `make image` (hack/image.sh) and the Dockerfile alike:
#   /hookwright                          the static musl binary (0755)
#   /etc/ssl/certs/ca-certificates.crt   Mozilla's roots from Debian's ca-certificates package,
#                                        concatenated in file-name order as update-ca-certificates
#                                        does (the path rustls-native-certs probes first)
# and nothing else: no shell, no passwd (the image's user is numeric, 65532:65532).
#   tools/image/rootfs.sh BINARY CA_CERTIFICATES_DEB OUT_DIR
set -euo pipefail
export LC_ALL=C
[ $# -eq 3 ] || { echo "usage: $0 BINARY CA_CERTIFICATES_DEB OUT_DIR" >&2; exit 2; }
bin=$1 deb=$2 out=$3
[ -f "$bin" ] || { echo "rootfs: no binary at $bin" >&2; exit 1; }
[ -f "$deb" ] || { echo "rootfs: no ca-certificates package at $deb" >&2; exit 1; }
if readelf -lW "$bin" | grep -q 'program interpreter'; then
  echo "rootfs: $bin is dynamically linked; the image has no libc" >&2
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp"
certs=("$tmp"/usr/share/ca-certificates/mozilla/*.crt)
if [ "${#certs[@]}" -lt 100 ]; then
  echo "rootfs: only ${#certs[@]} certificates in $deb" >&2
  exit 1
fi
rm -rf "$out"
install -d -m 0755 "$out" "$out/etc" "$out/etc/ssl" "$out/etc/ssl/certs"
for c in "${certs[@]}"; do
  cat "$c"
  [ -z "$(tail -c 1 "$c")" ] || echo
done >"$out/etc/ssl/certs/ca-certificates.crt"
chmod 0644 "$out/etc/ssl/certs/ca-certificates.crt"
install -m 0755 "$bin" "$out/hookwright"

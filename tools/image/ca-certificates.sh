#!/usr/bin/env bash
# Prints the path of Debian's ca-certificates package, the source of the image's CA bundle
# (tools/image/rootfs.sh). The operator's HTTPS client (reqwest with rustls-platform-verifier,
# which on Linux reads the system store through rustls-native-certs) embeds no roots, so the image
# must carry /etc/ssl/certs/ca-certificates.crt. The package is fetched once with
# `apt-get download` (the candidate version of this machine's Debian or Ubuntu release) and
# cached in ~/.cache/hookwright/image/; delete that folder to take a newer one. `--path` prints
# the cached package, or nothing, without fetching.
set -euo pipefail
dir=${HOOKWRIGHT_CACHE:-$HOME/.cache/hookwright}/image
cached() { { find "$dir" -maxdepth 1 -name 'ca-certificates_*.deb' 2>/dev/null || true; } | sort -V | tail -n 1; }
deb=$(cached)
if [ "${1:-}" = --path ]; then
  echo "$deb"
  exit 0
fi
if [ -z "$deb" ]; then
  mkdir -p "$dir"
  tmp=$(mktemp -d "$dir/download.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  download() { (cd "$tmp" && apt-get download ca-certificates) >&2; }
  if ! download; then
    # A machine whose package lists were never fetched knows no candidate yet.
    sudo=()
    [ "$(id -u)" = 0 ] || sudo=(sudo)
    "${sudo[@]}" apt-get update >&2
    download
  fi
  mv "$tmp"/ca-certificates_*.deb "$dir/"
  deb=$(cached)
fi
echo "$deb"

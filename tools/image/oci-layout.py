#!/usr/bin/env python3
"""Writes hookwright's multi-architecture container image as an OCI image layout, without a
container engine or a registry: one layer per architecture made from a root filesystem folder
(tools/image/rootfs.sh), an image config, a manifest, and an image index naming both platforms.

    tools/image/oci-layout.py --out target/image/oci --rootfs amd64=DIR --rootfs arm64=DIR \
        --revision <git sha> --source https://github.com/hookwright/hookwright --created <unix time>

The output is byte-for-byte reproducible: the same root filesystems and arguments give the same
digests (entries sorted, owner 0:0, one fixed mtime, gzip without name or time). The layout's
index.json holds one entry, the multi-architecture index, tagged with the version
(`org.opencontainers.image.ref.name`), so `crane push target/image/oci REF` and
`skopeo copy --all oci:target/image/oci:VERSION docker://REF` push exactly that index; its digest
is the one to pin. A summary (digest, sizes per architecture) is written to --summary as JSON.

Only the Python standard library is used. What the image runs (entrypoint, default argument,
user, port) is fixed here and checked against the Dockerfile by tests/chart/image.rs.
"""

import argparse
import datetime
import gzip
import hashlib
import io
import json
import os
import shutil
import stat
import sys
import tarfile
import tomllib

ENTRYPOINT = ["/hookwright"]
CMD = ["run"]
USER = "65532:65532"
EXPOSED_PORTS = {"8080/tcp": {}}
PLATFORMS = {"amd64": {"architecture": "amd64", "os": "linux"},
             "arm64": {"architecture": "arm64", "os": "linux", "variant": "v8"}}

MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


class Layout:
    def __init__(self, out):
        if os.path.exists(out):
            shutil.rmtree(out)
        self.blobs = os.path.join(out, "blobs", "sha256")
        os.makedirs(self.blobs)
        self.out = out

    def blob(self, media_type, data):
        digest = hashlib.sha256(data).hexdigest()
        with open(os.path.join(self.blobs, digest), "wb") as f:
            f.write(data)
        return {"mediaType": media_type, "digest": "sha256:" + digest, "size": len(data)}


def layer_tar(rootfs, mtime):
    """The root filesystem as a tar stream: sorted, owner 0:0, modes 0755/0644, one mtime."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for dirpath, dirnames, filenames in os.walk(rootfs):
            dirnames.sort()
            rel_dir = os.path.relpath(dirpath, rootfs)
            names = sorted(dirnames + filenames)
            for name in names:
                path = os.path.join(dirpath, name)
                rel = name if rel_dir == "." else f"{rel_dir}/{name}"
                st = os.lstat(path)
                info = tarfile.TarInfo(rel)
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                info.mtime = mtime
                if stat.S_ISDIR(st.st_mode):
                    info.type, info.mode = tarfile.DIRTYPE, 0o755
                    tar.addfile(info)
                elif stat.S_ISREG(st.st_mode):
                    info.mode = 0o755 if st.st_mode & 0o111 else 0o644
                    info.size = st.st_size
                    with open(path, "rb") as f:
                        tar.addfile(info, f)
                else:
                    sys.exit(f"oci-layout: {path}: only folders and regular files belong in the image")
    return buf.getvalue()


def gzipped(data):
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", fileobj=buf, mode="wb", compresslevel=6, mtime=0) as gz:
        gz.write(data)
    return buf.getvalue()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True, help="OCI layout folder to (re)create")
    p.add_argument("--rootfs", action="append", required=True, metavar="ARCH=DIR",
                   help="root filesystem of one architecture (amd64, arm64)")
    p.add_argument("--cargo-toml", default="Cargo.toml", help="version, licence and description come from here")
    p.add_argument("--version", help="image version (default: Cargo.toml's)")
    p.add_argument("--revision", required=True, help="source commit")
    p.add_argument("--source", required=True, help="source repository URL")
    p.add_argument("--created", type=int, required=True, help="creation time, Unix seconds (the commit's time)")
    p.add_argument("--summary", help="write digest and sizes here as JSON")
    args = p.parse_args()

    with open(args.cargo_toml, "rb") as f:
        package = tomllib.load(f)["package"]
    version = args.version or package["version"]
    created = datetime.datetime.fromtimestamp(args.created, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    labels = {
        "org.opencontainers.image.title": package["name"],
        "org.opencontainers.image.description": package["description"],
        "org.opencontainers.image.version": version,
        "org.opencontainers.image.revision": args.revision,
        "org.opencontainers.image.source": args.source,
        "org.opencontainers.image.licenses": package["license"],
        "org.opencontainers.image.created": created,
    }

    rootfs = {}
    for spec in args.rootfs:
        arch, _, path = spec.partition("=")
        if arch not in PLATFORMS or not os.path.isdir(path):
            sys.exit(f"oci-layout: --rootfs {spec}: want ARCH=DIR with ARCH in {sorted(PLATFORMS)} and an existing folder")
        rootfs[arch] = path

    layout = Layout(args.out)
    manifests, summary = [], {"version": version, "platforms": {}}
    for arch in sorted(rootfs):
        tar = layer_tar(rootfs[arch], args.created)
        layer = layout.blob(MT_LAYER, gzipped(tar))
        platform = PLATFORMS[arch]
        config = dict(platform)
        config.update({
            "created": created,
            "config": {"User": USER, "Entrypoint": ENTRYPOINT, "Cmd": CMD, "WorkingDir": "/",
                       "ExposedPorts": EXPOSED_PORTS, "Labels": labels},
            "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]},
            "history": [{"created": created, "created_by": "tools/image/oci-layout.py (root filesystem of tools/image/rootfs.sh)"}],
        })
        config_desc = layout.blob(MT_CONFIG, canonical(config))
        manifest = {"schemaVersion": 2, "mediaType": MT_MANIFEST, "config": config_desc, "layers": [layer],
                    "annotations": labels}
        desc = layout.blob(MT_MANIFEST, canonical(manifest))
        desc["platform"] = platform
        manifests.append(desc)
        summary["platforms"][f"linux/{arch}"] = {
            "manifest": desc["digest"],
            "layer_bytes": layer["size"],
            "uncompressed_bytes": len(tar),
            # What a node pulls for this platform: layer, config and manifest.
            "pull_bytes": layer["size"] + config_desc["size"] + desc["size"],
        }

    index = {"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": manifests, "annotations": labels}
    index_desc = layout.blob(MT_INDEX, canonical(index))
    index_desc["annotations"] = {"org.opencontainers.image.ref.name": version}
    with open(os.path.join(args.out, "index.json"), "wb") as f:
        f.write(canonical({"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": [index_desc]}))
    with open(os.path.join(args.out, "oci-layout"), "wb") as f:
        f.write(canonical({"imageLayoutVersion": "1.0.0"}))

    summary["digest"] = index_desc["digest"]
    if args.summary:
        with open(args.summary, "w") as f:
            json.dump(summary, f, indent=2, sort_keys=True)
            f.write("\n")
    print(index_desc["digest"])


if __name__ == "__main__":
    main()

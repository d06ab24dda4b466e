#!/usr/bin/env python3
"""Write a tiny single-layer OCI image layout, for skopeo to push.

usage: mkimage.py DIR TAG SEED [--index]

The layer holds one file whose content depends on SEED, so every image has
its own manifest digest (signatures for one image must not fit another).
With --index the layout holds an OCI image index of two images, for
linux/amd64 and linux/arm64; it prints the index digest, then
"PLATFORM DIGEST" for each instance.
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile


def blob(root, data):
    d = hashlib.sha256(data).hexdigest()
    path = os.path.join(root, "blobs", "sha256")
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, d), "wb") as f:
        f.write(data)
    return "sha256:" + d


def write_layout(root, tag, top):
    """Name the top manifest (or index) TAG and finish the OCI layout."""
    top["annotations"] = {"org.opencontainers.image.ref.name": tag}
    with open(os.path.join(root, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [top]}, f)
    with open(os.path.join(root, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)


def image(root, seed, arch):
    content = ("imgtrust e2e image " + seed + " " + arch + "\n").encode()
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        info = tarfile.TarInfo("hello.txt")
        info.size = len(content)
        info.mtime = 0
        info.mode = 0o644
        tf.addfile(info, io.BytesIO(content))
    tar_bytes = raw.getvalue()
    # mtime=0 keeps the layer (and so the digest) reproducible for a seed.
    layer = gzip.compress(tar_bytes, mtime=0)
    layer_digest = blob(root, layer)

    config = json.dumps({
        "architecture": arch,
        "os": "linux",
        "config": {"Cmd": ["/hello.txt"]},
        "rootfs": {"type": "layers",
                   "diff_ids": ["sha256:" + hashlib.sha256(tar_bytes).hexdigest()]},
    }, sort_keys=True).encode()
    config_digest = blob(root, config)

    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": config_digest, "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": layer_digest, "size": len(layer)}],
    }, sort_keys=True).encode()
    return {"mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": blob(root, manifest), "size": len(manifest),
            "platform": {"architecture": arch, "os": "linux"}}


def main():
    args = [a for a in sys.argv[1:] if a != "--index"]
    if len(args) != 3:
        sys.exit("usage: mkimage.py DIR TAG SEED [--index]")
    root, tag, seed = args
    lines = []
    if "--index" in sys.argv:
        instances = [image(root, seed, arch) for arch in ("amd64", "arm64")]
        index = json.dumps({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": instances,
        }, sort_keys=True).encode()
        top = {"mediaType": "application/vnd.oci.image.index.v1+json",
               "digest": blob(root, index), "size": len(index)}
        lines = [top["digest"]] + ["linux/%s %s" % (i["platform"]["architecture"], i["digest"])
                                   for i in instances]
    else:
        top = image(root, seed, "amd64")
        del top["platform"]
        lines = [top["digest"]]
    write_layout(root, tag, top)
    print("\n".join(lines))


if __name__ == "__main__":
    main()

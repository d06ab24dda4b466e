#!/usr/bin/env python3
"""Write an OCI layout holding a cosign-style attachment manifest, for
skopeo to push under the sha256-<hex>.sig tag.

usage: mkattach.py DIR TAG MIMETYPE PAYLOAD SIGNATURE [PAYLOAD SIGNATURE]...

Each PAYLOAD/SIGNATURE pair becomes one layer: the payload file is the
blob, the raw signature file goes base64-encoded into the layer's
dev.cosignproject.cosign/signature annotation, as cosign writes it.
"""
import base64
import json
import sys

from mkimage import blob, write_layout  # same folder: the layout helpers


def main():
    if len(sys.argv) < 6 or (len(sys.argv) - 4) % 2:
        sys.exit(__doc__)
    root, tag, mime = sys.argv[1:4]
    layers = []
    pairs = sys.argv[4:]
    for i in range(0, len(pairs), 2):
        payload = open(pairs[i], "rb").read()
        sig = open(pairs[i + 1], "rb").read()
        layers.append({"mediaType": mime, "digest": blob(root, payload), "size": len(payload),
                       "annotations": {"dev.cosignproject.cosign/signature":
                                       base64.b64encode(sig).decode()}})
    config = b"{}"
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": blob(root, config), "size": len(config)},
        "layers": layers,
    }, sort_keys=True).encode()
    write_layout(root, tag, {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                             "digest": blob(root, manifest), "size": len(manifest)})


if __name__ == "__main__":
    main()

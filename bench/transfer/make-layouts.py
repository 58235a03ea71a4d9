#!/usr/bin/env python3
"""Writes the benchmark images as OCI layouts (random, incompressible layers streamed to disk, never held whole):
   img200: one image, 5 layers of 40 MiB; multi: an index of 2 platforms, 2 layers of 25 MiB each; big: one 1 GiB layer."""
import hashlib, json, os, sys

MIB = 1024 * 1024
CHUNK = 4 * MIB


def blob_file(root, data_iter):
    tmp = os.path.join(root, "blobs", "sha256", "tmp")
    h, size = hashlib.sha256(), 0
    with open(tmp, "wb") as f:
        for chunk in data_iter:
            h.update(chunk)
            f.write(chunk)
            size += len(chunk)
    digest = h.hexdigest()
    os.replace(tmp, os.path.join(root, "blobs", "sha256", digest))
    return "sha256:" + digest, size


def random_bytes(size):
    left = size
    while left > 0:
        n = min(CHUNK, left)
        yield os.urandom(n)
        left -= n


def json_blob(root, obj):
    return blob_file(root, [json.dumps(obj, separators=(",", ":")).encode()])


def image(root, layer_sizes, arch):
    layers = []
    for size in layer_sizes:
        digest, n = blob_file(root, random_bytes(size))
        layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": digest, "size": n})
    config = {"architecture": arch, "os": "linux", "rootfs": {"type": "layers", "diff_ids": [l["digest"] for l in layers]}}
    cdigest, csize = json_blob(root, config)
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cdigest, "size": csize},
                "layers": layers}
    digest, size = json_blob(root, manifest)
    return {"mediaType": manifest["mediaType"], "digest": digest, "size": size}


def layout(root, tag, top):
    os.makedirs(os.path.join(root, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(root, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    desc = top(root)
    desc["annotations"] = {"org.opencontainers.image.ref.name": tag}
    with open(os.path.join(root, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [desc]}, f)


def index(root):
    children = []
    for arch in ("amd64", "arm64"):
        d = image(root, [25 * MIB, 25 * MIB], arch)
        d["platform"] = {"os": "linux", "architecture": arch}
        children.append(d)
    doc = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": children}
    digest, size = json_blob(root, doc)
    return {"mediaType": doc["mediaType"], "digest": digest, "size": size}


IMAGES = {
    "img200": lambda r: image(r, [40 * MIB] * 5, "amd64"),
    "multi": index,
    "big": lambda r: image(r, [1024 * MIB], "amd64"),
}

if __name__ == "__main__":
    out = sys.argv[1]
    for name in sys.argv[2:] or IMAGES:  # the images named after the directory, or all of them
        layout(os.path.join(out, name), "v1", IMAGES[name])

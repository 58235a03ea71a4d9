#!/usr/bin/env python3
"""Fills a registry cheaply for bench-watch: one tiny image (a 1-file layer and its config) uploaded once, then
mounted into every other repository (no bytes move) and tagged there by manifest PUTs, over a few keep-alive
connections. Usage: push-repos.py HOST:PORT REPOS TAGS  ->  repositories bench/r0000.., tags v1.0.0..v1.0.<TAGS-1>."""
import gzip, hashlib, http.client, io, json, sys, tarfile, threading
from concurrent.futures import ThreadPoolExecutor

host, repos, tags = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
WORKERS = 8
local = threading.local()


def call(method, path, body=None, headers=None, expect=(200, 201, 202)):
    if not hasattr(local, "conn"):
        local.conn = http.client.HTTPConnection(host, timeout=30)
    conn = local.conn
    conn.request(method, path, body=body, headers={"User-Agent": "bench-setup", **(headers or {})})
    r = conn.getresponse()
    data = r.read()
    if r.status not in expect:
        sys.exit(f"{method} {path}: {r.status} {data[:300]!r}")
    return r


def blob(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


# a one-file layer (deterministic: fixed mtime, gzip without a timestamp) and its image config
tar_bytes = io.BytesIO()
with tarfile.open(fileobj=tar_bytes, mode="w") as tar:
    content = b"bench-watch\n"
    info = tarfile.TarInfo("hello.txt")
    info.size, info.mtime = len(content), 0
    tar.addfile(info, io.BytesIO(content))
layer = gzip.compress(tar_bytes.getvalue(), mtime=0)
diff_id = blob(tar_bytes.getvalue())
config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                     "rootfs": {"type": "layers", "diff_ids": [diff_id]}}, separators=(",", ":")).encode()
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": blob(config),
                                  "size": len(config)},
                       "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": blob(layer),
                                   "size": len(layer)}]}, separators=(",", ":")).encode()

first = "bench/r0000"
for data in (config, layer):
    location = call("POST", f"/v2/{first}/blobs/uploads/").getheader("Location")
    location = location.split(host, 1)[-1]  # absolute or relative
    call("PUT", location + ("&" if "?" in location else "?") + "digest=" + blob(data), data,
         {"Content-Type": "application/octet-stream"})



def fill(i):
    repo = f"bench/r{i:04d}"
    if repo != first:
        for data in (config, layer):
            call("POST", f"/v2/{repo}/blobs/uploads/?mount={blob(data)}&from={first}", expect=(201,))
    for t in range(tags):
        call("PUT", f"/v2/{repo}/manifests/v1.0.{t}", manifest,
             {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})


with ThreadPoolExecutor(WORKERS) as pool:
    list(pool.map(fill, range(repos)))  # list(): re-raises a worker's failure
print(blob(manifest))

#!/usr/bin/env python3
"""Writes the allow-list for bench-admission through the API (PUT /images, a few keep-alive connections) and the
reviews wrk sends. Usage: load-entries.py HOST:PORT ENTRIES REVIEWS_FILE [TOKEN]
Entries: repository r<i/4> of team<(i/4)%50> on registry.bench.example, 4 entries per repository, each listing 3 tags;
every fourth entry's id pins a digest (repo@sha256:...). REVIEWS_FILE gets one review per line, two containers
each, with the answer expected: "<image> <image> allow|deny" (about 1 in 10 names an unlisted tag)."""
import hashlib, http.client, json, random, sys, threading, time
from concurrent.futures import ThreadPoolExecutor

host, count, reviews_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
token = sys.argv[4] if len(sys.argv) > 4 else ""
local = threading.local()


def repo(i):
    return f"registry.bench.example/team{(i // 4) % 50}/r{i // 4}"


def digest(i):
    return "sha256:" + hashlib.sha256(f"entry-{i}".encode()).hexdigest()


def entry(i):
    pinned = i % 4 == 3
    return {"id": f"{repo(i)}@{digest(i)}" if pinned else f"entry-{i}", "name": repo(i),
            "tags": [] if pinned else [f"v{i % 4}.{j}.0" for j in range(3)]}


def put(i):
    if not hasattr(local, "conn"):
        local.conn = http.client.HTTPConnection(host, timeout=30)
    headers = {"Content-Type": "application/json", **({"Authorization": "Bearer " + token} if token else {})}
    local.conn.request("PUT", "/images", json.dumps(entry(i)), headers)
    r = local.conn.getresponse()
    body = r.read()
    if r.status != 200:
        raise SystemExit(f"PUT entry {i}: {r.status} {body[:200]!r}")


start = time.time()
with ThreadPoolExecutor(8) as pool:
    list(pool.map(put, range(count)))
print(f"{count / (time.time() - start):.0f}")  # writes/s

rnd = random.Random(7)
with open(reviews_file, "w") as out:
    for _ in range(4096):
        images = []
        for _ in range(2):
            i = rnd.randrange(count - count % 4)
            i -= i % 4  # a tag-listing entry of the repository...
            if rnd.random() < 0.25:
                images.append(f"{repo(i + 3)}@{digest(i + 3)}")  # ...or its digest-pinning one
            else:
                images.append(f"{repo(i)}:v0.{rnd.randrange(3)}.0")
        deny = rnd.random() < 0.1
        if deny:
            images[1] = images[1].split("@")[0].split(":")[0] + ":v9.9.9"
        out.write(f"{images[0]} {images[1]} {'deny' if deny else 'allow'}\n")

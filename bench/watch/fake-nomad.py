#!/usr/bin/env python3
"""A minimal Nomad for bench-watch, on loopback: the three reads a watch check makes, shaped as Nomad (and
src/test/.../testing/FakeNomad) answers them. Job bench-rNNNN (one group, task "app", image
REGISTRY/bench/rNNNN:IMAGE_TAG, Version 0) has one running allocation of version 0.
  GET /v1/job/:id               the job                       GET /v1/job/:id/allocations  allocation stubs
  GET /v1/allocation/:id        the allocation with its Job   GET /bench/stats             requests counted by kind
Usage: fake-nomad.py PORT_FILE REGISTRY JOBS IMAGE_TAG  (listens on a free 127.0.0.1 port written to PORT_FILE)."""
import json, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

port_file, registry, count, image_tag = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
jobs, allocs, stubs = {}, {}, {}
for i in range(count):
    name = f"bench-r{i:04d}"
    job = {"ID": name, "Name": name, "Type": "service", "Namespace": "default", "Version": 0, "Meta": {},
           "ModifyIndex": 10 + i, "JobModifyIndex": 10 + i, "Status": "running",
           "TaskGroups": [{"Name": "group", "Count": 1, "Tasks": [{"Name": "app", "Driver": "docker", "Config": {
               "image": f"{registry}/bench/r{i:04d}:{image_tag}"}}]}]}
    alloc = {"ID": f"alloc-{i:04d}", "Name": name + ".group[0]", "Namespace": "default", "NodeID": "node-1",
             "JobID": name, "JobVersion": 0, "TaskGroup": "group", "DesiredStatus": "run", "ClientStatus": "running",
             "TaskStates": {"app": {"State": "running"}}, "CreateIndex": 10 + i, "ModifyIndex": 10 + i}
    jobs[name] = json.dumps(job).encode()
    stubs[name] = json.dumps([alloc]).encode()
    allocs[alloc["ID"]] = json.dumps({**alloc, "Job": job}).encode()
counts = {"job": 0, "allocations": 0, "allocation": 0, "other": 0}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Nomad

    def do_GET(self):
        path = urlsplit(self.path).path
        body, kind = None, "other"
        if path == "/bench/stats":
            with lock:
                return self.answer(200, json.dumps(counts).encode())
        if path.startswith("/v1/job/") and path.endswith("/allocations"):
            kind, body = "allocations", stubs.get(path[len("/v1/job/"):-len("/allocations")])
        elif path.startswith("/v1/job/"):
            kind, body = "job", jobs.get(path[len("/v1/job/"):])
        elif path.startswith("/v1/allocation/"):
            kind, body = "allocation", allocs.get(path[len("/v1/allocation/"):])
        with lock:
            counts[kind] += 1
        self.answer(200, body) if body is not None else self.answer(404, b"job not found")

    def answer(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if status == 200 else "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Nomad-Index", "1000")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(port_file, "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()

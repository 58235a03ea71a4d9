#!/usr/bin/env python3
"""A counting proxy in front of PostgreSQL for bench-watch: forwards bytes both ways unchanged and reads the
client's side of the wire protocol, counting each statement executed (a simple Query 'Q', or an Execute 'E' of a
statement prepared with Parse 'P' / bound with Bind 'B') by its SQL text. Exact, per statement, no server setting
or restart needed (pg_stat_statements would need shared_preload_libraries).
Usage: pg-count-proxy.py PORT_FILE PGHOST PGPORT  (listens on a free 127.0.0.1 port written to PORT_FILE, and on a
second one, written on the file's second line, that answers GET with the counts as JSON)."""
import asyncio, json, re, struct, sys

port_file, pg_host, pg_port = sys.argv[1], sys.argv[2], int(sys.argv[3])
counts = {}
UNTYPED = {80877103, 80877104}  # SSLRequest, GSSENCRequest: another untyped message (the startup) follows


def key(sql):
    return re.sub(r"\s+", " ", sql).strip()[:160]


def count(sql):
    counts[sql] = counts.get(sql, 0) + 1


async def pump(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def client_side(reader, writer):
    """Forwards the client's messages, parsing them on the way."""
    statements, portals = {}, {}
    try:
        while True:  # untyped start-up messages
            head = await reader.readexactly(8)
            length, code = struct.unpack("!ii", head)
            writer.write(head + await reader.readexactly(length - 8))
            await writer.drain()
            if code not in UNTYPED:
                break
        while True:
            head = await reader.readexactly(5)
            kind, length = head[:1], struct.unpack("!i", head[1:])[0]
            body = await reader.readexactly(length - 4)
            if kind == b"Q":
                count(key(body.split(b"\0", 1)[0].decode()))
            elif kind == b"P":
                name, rest = body.split(b"\0", 1)
                statements[name] = key(rest.split(b"\0", 1)[0].decode())
            elif kind == b"B":
                portal, rest = body.split(b"\0", 1)
                portals[portal] = statements.get(rest.split(b"\0", 1)[0], "?")
            elif kind == b"E":
                count(portals.get(body.split(b"\0", 1)[0], "?"))
            writer.write(head + body)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def connection(client_reader, client_writer):
    try:
        server_reader, server_writer = await asyncio.open_connection(pg_host, pg_port)
    except OSError:
        client_writer.close()
        return
    await asyncio.gather(client_side(client_reader, server_writer), pump(server_reader, client_writer))


async def stats(reader, writer):
    await reader.read(4096)
    body = json.dumps(counts).encode()
    writer.write(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    await writer.drain()
    writer.close()


async def main():
    proxy = await asyncio.start_server(connection, "127.0.0.1", 0)
    reporter = await asyncio.start_server(stats, "127.0.0.1", 0)
    with open(port_file, "w") as f:
        f.write(f"{proxy.sockets[0].getsockname()[1]}\n{reporter.sockets[0].getsockname()[1]}\n")
    await asyncio.gather(proxy.serve_forever(), reporter.serve_forever())


asyncio.run(main())

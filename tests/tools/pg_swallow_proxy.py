#!/usr/bin/env python3
"""A PostgreSQL that stops answering, for the hostile-input tests.

    pg_swallow_proxy.py swallow LISTEN_PORT UPSTREAM_PORT MARK_FILE
        Forwards the startup and authentication exchange to the real server
        on 127.0.0.1:UPSTREAM_PORT, then swallows the client's first Query
        (or Parse: the extended protocol) and everything after it: the
        server never sees the statement, the client never gets an answer.
        Appends one line to MARK_FILE per swallowed statement, so a test
        waits on that file instead of on time.
    pg_swallow_proxy.py blackhole LISTEN_PORT MARK_FILE
        Accepts every connection and never sends a byte (a server whose
        backend hangs before the startup answer). One line per connection.

The client must use sslmode=disable (the proxy reads the protocol). Runs
until killed (by PID).
"""
import socket
import struct
import sys
import threading


def mark(path, what):
    with open(path, "a") as f:
        f.write(what + "\n")


def read_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def swallow_client(client, upstream_port, mark_file):
    server = socket.create_connection(("127.0.0.1", upstream_port))
    threading.Thread(target=pump, args=(server, client), daemon=True).start()
    try:
        # Untyped startup packet(s): length then body (SSL/GSS requests too).
        while True:
            (n,) = struct.unpack("!I", read_exact(client, 4))
            body = read_exact(client, n - 4)
            server.sendall(struct.pack("!I", n) + body)
            code = struct.unpack("!I", body[:4])[0]
            if code not in (80877103, 80877104):  # SSLRequest, GSSENCRequest
                break
        while True:
            kind = read_exact(client, 1)
            (n,) = struct.unpack("!I", read_exact(client, 4))
            body = read_exact(client, n - 4)
            if kind in (b"Q", b"P"):
                mark(mark_file, "swallowed")
                while client.recv(65536):
                    pass
                return
            server.sendall(kind + struct.pack("!I", n) + body)
    except (EOFError, OSError):
        pass
    finally:
        for s in (client, server):
            try:
                s.close()
            except OSError:
                pass


def blackhole_client(client, mark_file):
    mark(mark_file, "accepted")
    try:
        while client.recv(65536):
            pass
    except OSError:
        pass
    client.close()


def main():
    mode = sys.argv[1]
    port = int(sys.argv[2])
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", port))
    lsock.listen(64)
    while True:
        client, _ = lsock.accept()
        if mode == "swallow":
            args = (client, int(sys.argv[3]), sys.argv[4])
            threading.Thread(target=swallow_client, args=args, daemon=True).start()
        else:
            threading.Thread(target=blackhole_client, args=(client, sys.argv[3]), daemon=True).start()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""A recording TCP relay for pinmail's hostile-server tests.

    relay.py --target PORT --port-file F --out PREFIX [--listen PORT]

Listens on 127.0.0.1 (a kernel-chosen port, or --listen's; written to
--port-file once it listens), accepts one connection, connects it to 127.0.0.1:PORT, and copies
bytes both ways, appending what the client sent to PREFIX.c2s and what the
server sent to PREFIX.s2c, so a test can look at exactly what crossed the
wire. PREFIX.end appears once nothing more can come from the client (its
EOF, a reset, or the end of the relay), so a test knows the recording of
what the client sent is complete. Closes are passed on as they come: an EOF from one side becomes a
shutdown(SHUT_WR) towards the other; a reset or a failed write closes both
sides at once, so the client sees the server go away when it does. Exits
when the connection is over. Only Python 3's standard library.
"""

import argparse
import os
import select
import socket
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", type=int, required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--listen", type=int, default=0)
    a = ap.parse_args()

    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", a.listen))
    ls.listen(1)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % ls.getsockname()[1])
    os.rename(tmp, a.port_file)

    files = {"c2s": open(a.out + ".c2s", "wb", buffering=0),
             "s2c": open(a.out + ".s2c", "wb", buffering=0)}
    r, _, _ = select.select([ls], [], [], 60)
    if not r:
        return 1
    client, _ = ls.accept()
    ls.close()
    try:
        server = socket.create_connection(("127.0.0.1", a.target), timeout=10)
    except OSError as e:
        print("relay.py: cannot reach 127.0.0.1:%d: %s" % (a.target, e), file=sys.stderr)
        client.close()
        open(a.out + ".end", "w").close()
        return 1
    server.settimeout(None)
    for s in (client, server):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def client_done():
        if not os.path.exists(a.out + ".end"):
            open(a.out + ".end", "w").close()

    peer = {client: server, server: client}
    name = {client: "c2s", server: "s2c"}
    open_in = {client, server}          # sides we still read from
    try:
        while open_in:
            r, _, _ = select.select(list(open_in), [], [], 120)
            if not r:
                break                   # nothing for two minutes: give up
            for s in r:
                try:
                    d = s.recv(65536)
                except OSError:
                    d = None            # reset: the connection is over
                if d is None:
                    open_in.clear()
                    break
                if not d:
                    if s is client:
                        client_done()
                    open_in.discard(s)
                    try:
                        peer[s].shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                    continue
                files[name[s]].write(d)
                try:
                    peer[s].sendall(d)
                except OSError:
                    open_in.clear()
                    break
    finally:
        # What the client sent and nobody read yet still left the client:
        # record it before closing.
        client.setblocking(False)
        try:
            while True:
                d = client.recv(65536)
                if not d:
                    break
                files["c2s"].write(d)
        except OSError:
            pass
        client.close()
        server.close()
        client_done()
    return 0


if __name__ == "__main__":
    sys.exit(main())

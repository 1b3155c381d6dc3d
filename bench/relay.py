#!/usr/bin/env python3
"""A delaying TCP relay on loopback: a slow link without tc netem.

    relay.py --target PORT --delay-ms MS --port-file F --counts F

Listens on 127.0.0.1 (a port the kernel picks, written to --port-file once
the relay accepts connections) and relays every connection to
127.0.0.1:--target. Each chunk read from either side is written to the
other side --delay-ms after it was read, in order, so the link has that
much delay each way (a 50 ms delay is a 100 ms round trip). An EOF is
passed on after the same delay (shutdown(SHUT_WR) towards the other side).
Bandwidth is not limited, and TCP's own connection set-up is not delayed
(a real link would add one more round trip to every client for it).

It also counts round trips: a client "flight" begins whenever bytes arrive
from the client after bytes were last seen from the server, and the
client's first bytes begin the first flight. A flight is a round trip when
the server answers it: the client then had to wait before it could go on.
A client that pipelines adds no flight; a last flight nobody answers (TLS
close_notify after the 221) waited for nothing and is not counted. Arrivals are taken at the relay, before the delay. When a
connection is over (both directions closed), one line is appended to
--counts and flushed:

    SEQ FLIGHTS CLIENT_BYTES SERVER_BYTES MILLISECONDS SIZES

SEQ numbers connections from 1 in the order they were accepted;
MILLISECONDS is from the accept to the end of the connection; SIZES is the
client's bytes in each flight, then in each server reply, alternating and
comma-separated ("c123,s2230,c75,...", to see what each flight was). Runs until
SIGTERM or SIGINT. Python 3 standard library only.

Written with asyncio's low-level protocols and timers rather than streams:
each direction is a FIFO of (due time, chunk) drained by one timer, which
keeps the order without relying on timer tie-breaking.
"""

import argparse
import asyncio
import collections
import os
import signal
import socket
import sys
import time

EOF = None  # queued in place of a chunk: pass the end of the stream on


class Direction:
    """Chunks read from one side, waiting to be written to the other."""

    def __init__(self, conn, delay):
        self.conn = conn
        self.delay = delay
        self.queue = collections.deque()  # (due, chunk or EOF), in order
        self.timer = None
        self.dst = None  # the transport to write to, once connected
        self.ended = False  # EOF read (or the source went away)
        self.done = False  # EOF passed on: nothing more goes this way

    def push(self, chunk):
        loop = self.conn.loop
        if chunk is EOF:
            if self.ended:
                return
            self.ended = True
        self.queue.append((loop.time() + self.delay, chunk))
        self.schedule()

    def schedule(self):
        if self.timer is None and self.queue and self.dst is not None:
            self.timer = self.conn.loop.call_at(self.queue[0][0], self.flush)

    def flush(self):
        self.timer = None
        now = self.conn.loop.time()
        while self.queue and self.queue[0][0] <= now:
            _, chunk = self.queue.popleft()
            if chunk is EOF:
                if not self.dst.is_closing() and self.dst.can_write_eof():
                    try:
                        self.dst.write_eof()
                    except OSError:
                        pass  # the peer has gone already: nothing to tell it
                self.done = True
                self.conn.maybe_finish()
                return
            if not self.dst.is_closing():
                self.dst.write(chunk)  # else the peer is gone: drop it
        self.schedule()


class Side(asyncio.Protocol):
    """One socket of a relayed connection: reads feed `out`."""

    def __init__(self, conn, name, out):
        self.conn = conn
        self.name = name  # "c" (client) or "s" (server)
        self.out = out  # the Direction carrying what this side sends
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport
        sock = transport.get_extra_info("socket")
        # Each chunk leaves as soon as it is due: no Nagle on the relay's
        # own sockets (the clients and the server keep their settings).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.conn.connected(self)

    def data_received(self, data):
        self.conn.seen(self.name, len(data))
        self.out.push(data)

    def eof_received(self):
        self.out.push(EOF)
        return True  # keep the other direction open (half-close)

    def connection_lost(self, exc):
        self.out.push(EOF)  # a reset ends this direction like an EOF


class Conn:
    """One relayed connection: two sides, two directions, the counts."""

    def __init__(self, relay, seq):
        self.relay = relay
        self.loop = relay.loop
        self.seq = seq
        self.start = time.monotonic()
        self.flights = 0
        self.last = None  # "c" or "s": who was seen sending last
        self.bytes = {"c": 0, "s": 0}
        self.turns = []  # [side, bytes] per turn of the conversation
        self.up = Direction(self, relay.delay)  # client -> server
        self.down = Direction(self, relay.delay)  # server -> client
        self.client = Side(self, "c", self.up)
        self.server = Side(self, "s", self.down)
        self.finished = False

    def seen(self, side, n):
        if side == "s" and self.last == "c":
            self.flights += 1  # the server answered a client flight
        if side != self.last:
            self.turns.append([side, 0])
        self.turns[-1][1] += n
        self.last = side
        self.bytes[side] += n

    def connected(self, side):
        if side is self.client:
            self.down.dst = side.transport
            self.down.schedule()
        else:
            self.up.dst = side.transport
            self.up.schedule()

    def maybe_finish(self):
        if self.finished or not (self.up.done and self.down.done):
            return
        self.finished = True
        for s in (self.client, self.server):
            if s.transport is not None:
                s.transport.close()
        self.relay.record(self)


class Relay:
    def __init__(self, loop, target, delay, counts):
        self.loop = loop
        self.target = target
        self.delay = delay
        self.counts = counts
        self.seq = 0
        self.dialing = set()  # strong references to the pending dial tasks

    def accept(self):
        """Protocol factory for the listening socket: one Conn per client."""
        self.seq += 1
        conn = Conn(self, self.seq)
        task = self.loop.create_task(self.dial(conn))
        self.dialing.add(task)
        task.add_done_callback(self.dialing.discard)
        return conn.client

    async def dial(self, conn):
        try:
            await self.loop.create_connection(
                lambda: conn.server, "127.0.0.1", self.target)
        except OSError as e:
            print("relay.py: cannot reach 127.0.0.1:%d: %s" % (self.target, e),
                  file=sys.stderr)
            if conn.client.transport is not None:
                conn.client.transport.abort()
            conn.up.done = conn.down.done = True
            conn.maybe_finish()

    def record(self, conn):
        ms = (time.monotonic() - conn.start) * 1000
        sizes = ",".join("%s%d" % (side, n) for side, n in conn.turns) or "-"
        self.counts.write("%d %d %d %d %.1f %s\n" % (
            conn.seq, conn.flights, conn.bytes["c"], conn.bytes["s"], ms, sizes))
        self.counts.flush()


async def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--target", type=int, required=True, help="server port on 127.0.0.1")
    ap.add_argument("--delay-ms", type=float, required=True, help="delay each way")
    ap.add_argument("--port-file", required=True, help="where to write the listening port")
    ap.add_argument("--counts", required=True, help="per-connection counts (appended)")
    a = ap.parse_args()

    loop = asyncio.get_running_loop()
    relay = Relay(loop, a.target, a.delay_ms / 1000.0, open(a.counts, "a"))
    server = await loop.create_server(relay.accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, a.port_file)  # the file appears complete, once listening

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()


if __name__ == "__main__":
    asyncio.run(main())

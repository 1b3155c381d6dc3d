#!/usr/bin/env python3
"""A hostile SMTP submission server for pinmail's tests (issue 4).

One process, one connection, one behaviour:

    server.py --behaviour NAME --port-file F --cert CHAIN.pem --key KEY.pem
              --log PREFIX [--alt-cert CHAIN --alt-key KEY]

It listens on 127.0.0.1 (a kernel-chosen port, written to --port-file once
it listens), accepts one connection, plays NAME, and exits. PREFIX.log gets
what happened (one event per line), PREFIX.rx every byte of application data
received (the decrypted plaintext under TLS), so a test can say what the
client sent *after* the handshake, e.g. that it sent nothing to a server
whose key matched no pin.

TLS goes through ssl.SSLObject over memory BIOs: this program, not the ssl
module, moves every byte between the socket and OpenSSL, so it can inject
raw records, drip bytes one record at a time, or stop in mid-reply. TLS 1.2
only (pinmail offers nothing else), with OpenSSL's default ECDHE suites.

Only Python 3's standard library (Debian's python3). `--list` prints the
behaviours.
"""

import argparse
import ctypes
import os
import select
import socket
import ssl
import sys
import time

class Done(Exception):
    """The behaviour is over: close the connection and exit."""


class PeerGone(Exception):
    """The client closed, or the socket failed."""


# ---- logging ---------------------------------------------------------------

LOG = None
RX = None


def log(msg):
    if LOG is not None:
        LOG.write("%.3f %s\n" % (time.monotonic(), msg))
        LOG.flush()


def record_rx(data):
    if RX is not None and data:
        RX.write(data)
        RX.flush()


# ---- connections -----------------------------------------------------------

class PlainConn:
    """SMTP straight on the TCP socket (the "plaintext on 465" server)."""

    def __init__(self, sock):
        self.sock = sock

    def send(self, data):
        try:
            self.sock.sendall(data)
        except OSError as e:
            raise PeerGone(str(e))

    def recv(self, timeout=30.0):
        r, _, _ = select.select([self.sock], [], [], timeout)
        if not r:
            raise PeerGone("no data within %s s" % timeout)
        try:
            d = self.sock.recv(65536)
        except OSError as e:
            raise PeerGone(str(e))
        if not d:
            raise PeerGone("EOF")
        record_rx(d)
        return d

    def close(self):
        self.sock.close()


class TLSConn:
    """Server-side TLS over memory BIOs; every socket read and write is ours."""

    def __init__(self, sock, ctx):
        self.sock = sock
        self.inc = ssl.MemoryBIO()
        self.out = ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.inc, self.out, server_side=True)

    # raw socket side
    drip = 0.0          # > 0: every byte alone, this many seconds apart

    def flush(self):
        data = self.out.read()
        if data and self.drip > 0:
            for i in range(len(data)):
                self.raw_send(data[i:i + 1])
                time.sleep(self.drip)
        elif data:
            self.raw_send(data)

    def raw_send(self, data):
        try:
            self.sock.sendall(data)
        except OSError as e:
            raise PeerGone(str(e))

    def fill(self, timeout=30.0):
        r, _, _ = select.select([self.sock], [], [], timeout)
        if not r:
            raise PeerGone("no data within %s s" % timeout)
        try:
            d = self.sock.recv(65536)
        except OSError as e:
            raise PeerGone(str(e))
        if not d:
            self.inc.write_eof()
            raise PeerGone("EOF")
        self.inc.write(d)

    # TLS side
    def handshake(self, timeout=10.0):
        end = time.monotonic() + timeout
        while True:
            try:
                self.obj.do_handshake()
                self.flush()
                return
            except ssl.SSLWantReadError:
                self.flush()
                self.fill(max(0.01, end - time.monotonic()))

    def send(self, data):
        """One TLS record (or more, if over 16 KB) for data."""
        self.obj.write(data)
        self.flush()

    def recv(self, timeout=30.0):
        end = time.monotonic() + timeout
        while True:
            try:
                d = self.obj.read(65536)
            except ssl.SSLWantReadError:
                self.flush()
                self.fill(max(0.01, end - time.monotonic()))
                continue
            except ssl.SSLZeroReturnError:
                raise PeerGone("close_notify")
            except ssl.SSLError as e:
                raise PeerGone("TLS: %s" % e)
            self.flush()
            if not d:
                raise PeerGone("EOF")
            record_rx(d)
            return d

    def close_notify(self):
        """Send close_notify now (do not wait for the peer's)."""
        try:
            self.obj.unwrap()
        except (ssl.SSLWantReadError, ssl.SSLError):
            pass
        self.flush()

    def close(self):
        self.sock.close()


# ---- renegotiation through the ssl module's own OpenSSL --------------------
#
# The ssl module has no call for a server-initiated TLS 1.2 renegotiation,
# and no record can be forged by hand without the session keys (nor AES or
# ChaCha20 in the standard library). So the SSL* under the SSLObject is
# driven directly with ctypes, through the very libssl the _ssl module has
# loaded: SSL_use_certificate_chain_file + SSL_use_PrivateKey_file switch the
# certificate for the next handshake (after SSL_certs_clear), SSL_renegotiate + SSL_do_handshake send
# the (encrypted) HelloRequest. The pointer is found in _ssl's object layout
# (PyObject_HEAD, PyObject *Socket, SSL *ssl) and checked before use: its
# read BIO must be our incoming MemoryBIO's (PyObject_HEAD, BIO *bio).

def _libssl():
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            if "/libssl.so" in path:
                return ctypes.CDLL(path)
    raise RuntimeError("the ssl module's libssl is not mapped")


def ssl_pointer(conn):
    head = object.__basicsize__
    ptr = ctypes.c_void_p.from_address(id(conn.obj._sslobj) + head + 8).value
    bio = ctypes.c_void_p.from_address(id(conn.inc) + head).value
    lib = _libssl()
    lib.SSL_get_rbio.restype = ctypes.c_void_p
    lib.SSL_get_rbio.argtypes = [ctypes.c_void_p]
    if not ptr or not bio or lib.SSL_get_rbio(ptr) != bio:
        raise RuntimeError("cannot locate the SSL* of the SSLObject")
    return lib, ptr


def renegotiate(conn, chain, key, timeout=2.5):
    """HelloRequest, then the new handshake with chain/key, as far as the
    client takes it. Returns a one-word outcome for the log."""
    lib, p = ssl_pointer(conn)
    for name, args, res in (
            ("SSL_certs_clear", [ctypes.c_void_p], None),
            ("SSL_use_certificate_chain_file", [ctypes.c_void_p, ctypes.c_char_p], ctypes.c_int),
            ("SSL_use_PrivateKey_file", [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int], ctypes.c_int),
            ("SSL_renegotiate", [ctypes.c_void_p], ctypes.c_int),
            ("SSL_renegotiate_pending", [ctypes.c_void_p], ctypes.c_int),
            ("SSL_do_handshake", [ctypes.c_void_p], ctypes.c_int),
            ("SSL_get_error", [ctypes.c_void_p, ctypes.c_int], ctypes.c_int),
            ("ERR_clear_error", [], None)):
        fn = getattr(lib, name)
        fn.argtypes = args
        fn.restype = res
    # Every certificate goes (OpenSSL keeps one per key type and picks by
    # the suite: loading an RSA one would leave the ECDSA one in use).
    lib.SSL_certs_clear(p)
    if lib.SSL_use_certificate_chain_file(p, chain.encode()) != 1 or \
            lib.SSL_use_PrivateKey_file(p, key.encode(), 1) != 1:
        lib.ERR_clear_error()
        raise RuntimeError("cannot load the renegotiation certificate")
    if lib.SSL_renegotiate(p) != 1:
        lib.ERR_clear_error()
        raise RuntimeError("SSL_renegotiate refused")
    r = lib.SSL_do_handshake(p)
    lib.ERR_clear_error()
    conn.flush()
    log("HelloRequest sent (SSL_do_handshake %d)" % r)
    end = time.monotonic() + timeout
    while lib.SSL_renegotiate_pending(p):
        try:
            d = conn.obj.read(65536)
            if d:
                record_rx(d)
                log("application data during renegotiation: %r" % d[:80])
        except ssl.SSLWantReadError:
            conn.flush()
            if not lib.SSL_renegotiate_pending(p):
                break
            left = end - time.monotonic()
            if left <= 0:
                return "client-ignored-it"
            try:
                conn.fill(left)
            except PeerGone as e:
                return "client-left (%s)" % e
        except ssl.SSLError as e:
            conn.flush()
            return "refused (%s)" % e
    conn.flush()
    return "completed"


# ---- the SMTP dialogue -----------------------------------------------------

DROP = "drop"            # close TCP now, no TLS close_notify
SILENT = "silent"        # say nothing until the client goes away


def hold(conn, seconds=30.0):
    """Say nothing; read (and record) until the peer leaves or time is up."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            conn.recv(end - time.monotonic())
        except PeerGone:
            return


class Smtp:
    """A submission server whose every reply can be replaced.

    A reply is bytes, DROP, SILENT, or a function(conn, smtp) that does
    whatever it likes (and may raise Done)."""

    GREETING = b"220 hostile.test ESMTP\r\n"
    EHLO = (b"250-hostile.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
            b"250-AUTH PLAIN LOGIN\r\n250 SIZE 10240000\r\n")

    def __init__(self, conn, **over):
        self.conn = conn
        self.buf = b""
        self.greeting = over.get("greeting", self.GREETING)
        self.ehlo = over.get("ehlo", self.EHLO)
        self.auth = over.get("auth", b"235 2.7.0 Authentication successful\r\n")
        # AUTH LOGIN: the challenges, each answered by one line.
        self.login_steps = over.get("login_steps", (b"334 VXNlcm5hbWU6\r\n",
                                                    b"334 UGFzc3dvcmQ6\r\n"))
        self.mail = over.get("mail", b"250 2.1.0 Ok\r\n")
        self.rcpt = over.get("rcpt", lambda i, line: b"250 2.1.5 Ok\r\n")
        self.data = over.get("data", b"354 End data with <CR><LF>.<CR><LF>\r\n")
        self.in_data = over.get("in_data", None)   # function(conn, smtp, nbytes)
        self.dot = over.get("dot", b"250 2.0.0 Ok: queued as HOSTILE1\r\n")
        self.quit = over.get("quit", b"221 2.0.0 Bye\r\n")
        # BDAT (CHUNKING): function(k, last) -> the reply to chunk k (1-based).
        self.chunk = over.get("chunk", lambda k, last: self.dot if last
                              else b"250 2.0.0 Ok: chunk %d\r\n" % k)
        self.nrcpt = 0
        self.body_bytes = 0
        self.chunks = 0

    def reply(self, what):
        if what is DROP:
            log("drop")
            raise Done()
        if what is SILENT:
            log("silent")
            hold(self.conn)
            raise Done()
        if callable(what):
            what(self.conn, self)
            return
        self.conn.send(what)

    def readline(self):
        while b"\n" not in self.buf:
            self.buf += self.conn.recv()
        line, self.buf = self.buf.split(b"\n", 1)
        return line + b"\n"

    def readexact(self, n):
        while len(self.buf) < n:
            self.buf += self.conn.recv()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def run(self):
        self.reply(self.greeting)
        log("greeting sent")
        while True:
            line = self.readline()
            verb = line[:4].upper()
            log("command %r" % (line[:40] if verb != b"AUTH" else b"AUTH ..."))
            if verb in (b"EHLO", b"HELO"):
                self.reply(self.ehlo)
            elif verb == b"AUTH":
                if line[5:10].upper() == b"LOGIN":
                    for step in self.login_steps:
                        self.conn.send(step)
                        self.readline()
                self.reply(self.auth)
            elif verb == b"MAIL":
                self.reply(self.mail)
            elif verb == b"RCPT":
                self.nrcpt += 1
                r = self.rcpt(self.nrcpt, line)
                self.reply(r)
            elif verb == b"DATA":
                r = self.data
                self.reply(r)
                if isinstance(r, bytes) and r.startswith(b"354"):
                    self.body()
                    self.reply(self.dot)
                    log("end of data (%d bytes)" % self.body_bytes)
            elif verb == b"BDAT":
                words = line.split()
                n = int(words[1])
                last = len(words) > 2 and words[2].upper() == b"LAST"
                # Read in pieces, so a drop "in DATA" can happen mid-chunk.
                while n > 0:
                    k = min(n, 1024)
                    self.readexact(k)
                    n -= k
                    self.body_bytes += k
                    if self.in_data is not None:
                        self.in_data(self.conn, self, self.body_bytes)
                self.chunks += 1
                self.reply(self.chunk(self.chunks, last))
                if last:
                    log("end of bdat (%d chunks, %d bytes)" % (self.chunks, self.body_bytes))
            elif verb == b"QUIT":
                self.reply(self.quit)
                raise Done()
            elif verb == b"RSET" or verb == b"NOOP":
                self.conn.send(b"250 2.0.0 Ok\r\n")
            else:
                self.conn.send(b"502 5.5.2 Error: command not recognized\r\n")

    def body(self):
        while True:
            line = self.readline()
            if line == b".\r\n":
                return
            self.body_bytes += len(line)
            if self.in_data is not None:
                self.in_data(self.conn, self, self.body_bytes)


# ---- reply helpers ---------------------------------------------------------

def then_drop(data):
    def f(conn, smtp):
        conn.send(data)
        log("sent %d bytes, then drop" % len(data))
        raise Done()
    return f


def drip(data, interval=1.0):
    """One byte per TLS record, one record per interval."""
    def f(conn, smtp):
        for i in range(len(data)):
            conn.send(data[i:i + 1])
            time.sleep(interval)
        log("drip complete")
    return f


def close_notify_after(data):
    def f(conn, smtp):
        conn.send(data)
        conn.close_notify()
        log("close_notify after %r" % data[:40])
        time.sleep(0.2)
        raise Done()
    return f


def raw_after(data, raw):
    """Send data (TLS), then raw bytes on the socket, outside TLS."""
    def f(conn, smtp):
        if data:
            conn.send(data)
        conn.raw_send(raw)
        log("raw bytes injected: %r" % raw[:16])
        hold(conn, 10)
        raise Done()
    return f


def renegotiate_then(data, chain, key):
    def f(conn, smtp):
        outcome = renegotiate(conn, chain, key)
        log("renegotiation: %s" % outcome)
        if outcome != "completed":
            raise Done()
        conn.send(data)
    return f


def renegotiate_forever(chain, key, every=1.0, total=15.0):
    """Instead of a greeting: a new handshake (same key) every `every` s."""
    def f(conn, smtp):
        end = time.monotonic() + total
        k = 0
        while time.monotonic() < end:
            outcome = renegotiate(conn, chain, key)
            k += 1
            log("renegotiation %d: %s" % (k, outcome))
            if outcome != "completed":
                raise Done()
            time.sleep(every)
        raise Done()
    return f


def drop_in_data_after(n):
    def f(conn, smtp, nbytes):
        if nbytes >= n:
            log("drop in DATA after %d bytes" % nbytes)
            raise Done()
    return f


def tls_record(ctype, payload, version=b"\x03\x03"):
    n = len(payload)
    return bytes([ctype]) + version + bytes([n >> 8, n & 255]) + payload


# ---- the behaviours ----------------------------------------------------------
#
# Each: (kind, SMTP overrides). kind: "tls" (TLS 1.2, the given certificate),
# "plain" (SMTP without TLS), "tcp-silent" (accepts, says nothing),
# "tls13-only", "cbc-only" (TLS parameters pinmail does not offer),
# "client-cert" (a client certificate required), "tls-drip-handshake" (the
# handshake one byte per 0.1 s), or "tls-hold" (handshake, then nothing).
# The certificates (--cert, and --alt-cert for renegotiations) are the
# test's choice.

def behaviours(alt_chain, alt_key):
    B = {}

    def b(name, kind="tls", **over):
        B[name] = (kind, over)

    many = b"".join(b"250-X%05d\r\n" % i for i in range(10000)) + b"250 OK\r\n"
    b("normal")
    b("plaintext", "plain")
    b("tcp-silent", "tcp-silent")
    b("tls13-only", "tls13-only")
    b("cbc-only", "cbc-only")
    b("silent-greeting", "tls-hold")
    b("drip-greeting", greeting=drip(b"220 hostile.test ESMTP slowly\r\n"))
    b("drop-after-handshake", greeting=DROP)
    b("drop-after-greeting", greeting=then_drop(Smtp.GREETING))
    b("drop-after-ehlo", ehlo=then_drop(Smtp.EHLO))
    b("drop-during-auth", auth=DROP)
    b("drop-during-data", in_data=drop_in_data_after(2048))
    b("drop-after-dot", dot=DROP)
    b("silent-after-dot", dot=SILENT)
    b("greeting-421", greeting=b"421 4.3.2 Service shutting down\r\n")
    b("mail-451", mail=b"451 4.3.0 Try again later\r\n")
    b("mail-550", mail=b"550 5.7.1 Sender refused\r\n")
    # Refusals the server then forgets: 354 to the DATA pipelined behind them.
    b("mail-451-then-354", mail=b"451 4.3.0 Try again later\r\n")
    b("rcpt-all-550-then-354", rcpt=lambda i, l: b"550 5.1.1 No such user\r\n")
    b("greeting-554", greeting=b"554 5.3.2 No service for you\r\n")
    b("dot-451", dot=b"451 4.3.0 Queue full, try later\r\n")
    b("rcpt-some-550", rcpt=lambda i, l: b"550 5.1.1 No such user\r\n" if i == 2
      else b"250 2.1.5 Ok\r\n")
    b("rcpt-some-450", rcpt=lambda i, l: b"450 4.2.1 Mailbox busy\r\n" if i == 2
      else b"250 2.1.5 Ok\r\n")
    b("rcpt-all-550", rcpt=lambda i, l: b"550 5.1.1 No such user\r\n",
      data=b"554 5.5.1 Error: no valid recipients\r\n")
    b("rcpt-all-550-nopipe", rcpt=lambda i, l: b"550 5.1.1 No such user\r\n",
      ehlo=b"250-hostile.test\r\n250 AUTH PLAIN\r\n",
      data=b"554 5.5.1 Error: no valid recipients\r\n")
    b("dot-552", dot=b"552 5.3.4 Message size exceeds fixed limit\r\n")
    b("data-250", data=b"250 2.0.0 Ok\r\n")
    b("data-silent", data=SILENT)
    b("long-line", greeting=b"220 " + b"x" * 65536 + b"\r\n")
    b("many-lines", ehlo=many)
    b("code-2-digits", greeting=b"22 hostile.test ESMTP\r\n")
    b("code-4-digits", mail=b"2500 Ok\r\n")
    b("code-letter", greeting=b"2O0 hostile.test ESMTP\r\n")
    b("code-nul", ehlo=b"250-hostile.test\r\n25\x00-PIPELINING\r\n250 AUTH PLAIN\r\n")
    b("text-nul", dot=b"250 2.0.0 Ok: queued\x00 as HOSTILE2\r\n")
    b("text-control", mail=b"550 5.7.1 \x1b]0;pwned\x07\x1b[2J\rpinmail: delivered\r\n")
    b("unsolicited-reply", greeting=b"220 hostile.test ESMTP\r\n220 again\r\n")
    b("mixed-codes", ehlo=b"250-hostile.test\r\n251-PIPELINING\r\n250 AUTH PLAIN\r\n")
    b("auth-535", auth=b"535 5.7.8 Authentication credentials invalid\r\n")
    b("no-auth", ehlo=b"250-hostile.test\r\n250 PIPELINING\r\n")
    b("close-notify-mid-reply", ehlo=close_notify_after(b"250-hostile.test\r\n250-PIPELINING\r\n"))
    b("close-notify-mid-final", dot=close_notify_after(b"250-2.0.0 Ok\r\n"))
    b("garbage-bad-mac", greeting=raw_after(b"", tls_record(23, os.urandom(48))))
    b("garbage-record-type", greeting=raw_after(Smtp.GREETING, tls_record(99, b"\x00" * 32)))
    b("garbage-oversized", greeting=raw_after(Smtp.GREETING, b"\x17\x03\x03\xff\xff" + os.urandom(64)))
    b("garbage-plaintext", ehlo=raw_after(b"", b"250-hostile.test\r\n250 AUTH PLAIN\r\n"))
    b("quit-malformed", quit=b"2\x00\x00 not a reply\r\n")
    b("quit-long-line", quit=b"221 " + b"x" * 65536 + b"\r\n")
    b("quit-garbage-record", quit=raw_after(b"", tls_record(23, os.urandom(48))))
    b("dot-extra-reply-nopipe", ehlo=b"250-hostile.test\r\n250 AUTH PLAIN\r\n",
      dot=b"250 2.0.0 Ok: queued as HOSTILE3\r\n250 2.0.0 and again\r\n")
    b("auth-login-only", ehlo=b"250-hostile.test\r\n250-PIPELINING\r\n250 AUTH LOGIN\r\n")
    b("auth-login-no-password", ehlo=b"250-hostile.test\r\n250 AUTH LOGIN\r\n",
      login_steps=(b"334 VXNlcm5hbWU6\r\n",), auth=b"235 2.7.0 ok without a password\r\n")
    b("client-cert-required", "client-cert")
    b("drip-handshake", "tls-drip-handshake")
    # RFC 5321 4.5.3.1.5: a reply line is at most 512 octets, CRLF included.
    def pad(head):
        return head + b" " + b"x" * (512 - len(head) - 3) + b"\r\n"
    b("reply-512-octets",
      greeting=pad(b"220 hostile.test"),
      ehlo=pad(b"250-hostile.test") + b"".join(pad(b"250-X-PAD%02d" % i) for i in range(61))
      + pad(b"250-PIPELINING") + pad(b"250 AUTH PLAIN LOGIN"))
    b("reply-513-octets", greeting=b"220 " + b"x" * 507 + b"\r\n")
    b("renegotiate-unpinned", ehlo=renegotiate_then(Smtp.EHLO, alt_chain, alt_key))
    b("renegotiate-forever", greeting=renegotiate_forever(alt_chain, alt_key))
    b("renegotiate-pinned", ehlo=renegotiate_then(Smtp.EHLO, alt_chain, alt_key))
    # CHUNKING (RFC 3030): the message as BDAT chunks.
    chunking = (b"250-hostile.test\r\n250-PIPELINING\r\n250-CHUNKING\r\n"
                b"250-AUTH PLAIN LOGIN\r\n250 SIZE 10240000\r\n")
    b("bdat-normal", ehlo=chunking)
    b("bdat-nopipe", ehlo=b"250-hostile.test\r\n250-CHUNKING\r\n250 AUTH PLAIN\r\n")
    b("bdat-last-552", ehlo=chunking,
      chunk=lambda k, last: b"552 5.3.4 Message size exceeds fixed limit\r\n" if last
      else b"250 2.0.0 Ok\r\n")
    b("bdat-mid-552", ehlo=chunking,
      chunk=lambda k, last: b"552 5.3.4 Message size exceeds fixed limit\r\n" if k == 2
      else b"250 2.0.0 Ok\r\n")
    b("bdat-mid-451", ehlo=chunking,
      chunk=lambda k, last: b"451 4.3.0 Queue trouble\r\n" if k == 2
      else b"250 2.0.0 Ok\r\n")
    b("bdat-drop-mid", ehlo=chunking, in_data=drop_in_data_after(20000))
    b("bdat-silent-after-last", ehlo=chunking,
      chunk=lambda k, last: SILENT if last else b"250 2.0.0 Ok\r\n")
    b("bdat-rcpt-all-550", ehlo=chunking, rcpt=lambda i, l: b"550 5.1.1 No such user\r\n",
      chunk=lambda k, last: b"554 5.5.1 Error: no valid recipients\r\n")
    b("bdat-mail-451", ehlo=chunking, mail=b"451 4.3.0 Try again later\r\n",
      chunk=lambda k, last: b"503 5.5.1 Error: need MAIL command\r\n")
    return B


# ---- main ----------------------------------------------------------------------

OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION = 0x00010000   # OpenSSL 1.0.2 .. 3.x


def context(kind, cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if kind == "tls13-only":
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    if kind == "client-cert":
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cafile=cert)
    if kind == "cbc-only":
        ctx.set_ciphers("ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:AES128-SHA")
    # Renegotiation is allowed, and never as a resumption of the session:
    # the point of the renegotiation behaviour is a new certificate.
    ctx.options &= ~getattr(ssl, "OP_NO_RENEGOTIATION", 0)
    ctx.options |= OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION | ssl.OP_NO_TICKET
    ctx.load_cert_chain(cert, key)
    return ctx


def main():
    global LOG, RX
    ap = argparse.ArgumentParser()
    ap.add_argument("--behaviour")
    ap.add_argument("--port-file")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--alt-cert")
    ap.add_argument("--alt-key")
    ap.add_argument("--log")
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    B = behaviours(a.alt_cert, a.alt_key)
    if a.list:
        print("\n".join(B))
        return 0
    if a.behaviour not in B:
        print("server.py: unknown behaviour %r" % a.behaviour, file=sys.stderr)
        return 64
    kind, over = B[a.behaviour]
    if a.log:
        LOG = open(a.log + ".log", "w")
        RX = open(a.log + ".rx", "wb")
    ctx = None if kind in ("plain", "tcp-silent") else context(kind, a.cert, a.key)

    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % ls.getsockname()[1])
    os.rename(tmp, a.port_file)

    r, _, _ = select.select([ls], [], [], 60)
    if not r:
        log("nobody came")
        return 1
    sock, _ = ls.accept()
    ls.close()
    log("accepted; behaviour %s" % a.behaviour)
    conn = None
    try:
        if kind == "tcp-silent":
            conn = PlainConn(sock)
            hold(conn)
        elif kind == "plain":
            conn = PlainConn(sock)
            Smtp(conn, **over).run()
        else:
            conn = TLSConn(sock, ctx)
            if kind == "tls-drip-handshake":
                conn.drip = 0.1
            try:
                conn.handshake()
            except ssl.SSLError as e:
                conn.flush()
                log("handshake failed: %s" % e)
                raise Done()
            log("handshake done: %s %s" % (conn.obj.version(), conn.obj.cipher()[0]))
            if kind == "tls-hold":
                hold(conn)
            else:
                Smtp(conn, **over).run()
    except Done:
        pass
    except PeerGone as e:
        log("client gone: %s" % e)
    except Exception as e:             # a bug here must not look like a pass
        log("server error: %r" % e)
        print("server.py: %s: %r" % (a.behaviour, e), file=sys.stderr)
        return 70
    finally:
        if conn is not None:
            conn.close()
        else:
            sock.close()
    log("closed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

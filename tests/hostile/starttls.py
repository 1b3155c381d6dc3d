#!/usr/bin/env python3
"""Plaintext SMTP servers that break STARTTLS, for tests/e2e/test_starttls.sh.

    starttls.py --behaviour B --port-file F --rx FILE

Listens on 127.0.0.1 (a kernel-chosen port, written to --port-file), takes
one connection, and plays behaviour B; every byte the client sent is
appended to --rx. Behaviours:
  strip   EHLO offers AUTH but not STARTTLS (a downgrading middlebox)
  refuse  STARTTLS is offered, and answered 454
  inject  the 220 to STARTTLS comes with a reply behind it in the same
          packet (RFC 3207 5: command injection, CVE-2011-0411 style)
The client must never send AUTH, MAIL or message text here. Python 3's
standard library only.
"""

import argparse
import os
import socket

EHLO = b"250-hostile.test\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--behaviour", required=True, choices=["strip", "refuse", "inject"])
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--rx", required=True)
    a = ap.parse_args()
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    with open(a.port_file + ".tmp", "w") as f:
        f.write("%d\n" % ls.getsockname()[1])
    os.rename(a.port_file + ".tmp", a.port_file)
    ls.settimeout(30)
    c, _ = ls.accept()
    c.settimeout(10)
    rx = open(a.rx, "ab", buffering=0)
    c.sendall(b"220 hostile.test ESMTP\r\n")
    buf = b""
    try:
        while True:
            data = c.recv(4096)
            if not data:
                break
            rx.write(data)
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                verb = line[:8].upper()
                if verb.startswith(b"EHLO"):
                    c.sendall(EHLO + (b"250 SIZE\r\n" if a.behaviour == "strip"
                                      else b"250 STARTTLS\r\n"))
                elif verb.startswith(b"STARTTLS"):
                    if a.behaviour == "refuse":
                        c.sendall(b"454 4.7.0 TLS not available due to local problem\r\n")
                    else:
                        c.sendall(b"220 2.0.0 Ready to start TLS\r\n250 injected\r\n")
                elif verb.startswith(b"QUIT"):
                    c.sendall(b"221 2.0.0 Bye\r\n")
                else:
                    c.sendall(b"530 5.7.0 Must issue a STARTTLS command first\r\n")
    except OSError:
        pass
    c.close()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""tests/fuzz/mkseeds.py — writes the committed seed corpora, tests/fuzz/NAME/.

Run from the top of the tree after `make certs` (the dane seeds are built
from build/certs/*.der, generated per build, so they are copied in):

    python3 tests/fuzz/mkseeds.py

What goes in is real material, recorded once on 2026-11-28:
  - Postfix 3.7 replies: the private instance of tests/e2e/postfix (implicit
    TLS, Cyrus SASL), driven over TLS by a script and by `pinmail -v`;
  - messages as the callers pipe them to sendmail, captured with a fake
    sendmail: s-nail, mutt, bsd-mailx (-t with Bcc), git send-email (a
    patch with a "." line and UTF-8), PHP mail() (CRLF and LF mixed), and
    Debian cron's mail from tests/e2e/test_callers.sh;
  - the callers' real argv (tests/e2e/test_callers.sh's argv.log);
  - port/posix/pinmail.conf.example and the configurations the end-to-end
    tests write.
Each file starts with the set-up bytes its target reads (see the comment
at the top of tests/fuzz/fuzz_NAME.c).
"""
import os
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CERTS = os.path.join(ROOT, 'build', 'certs')


def corpus(name, files):
    d = os.path.join(HERE, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for fname, data in files.items():
        with open(os.path.join(d, fname), 'wb') as f:
            f.write(data)
    print('%s: %d files, %d bytes' % (d, len(files), sum(len(v) for v in files.values())))


# ---- Postfix, as recorded ------------------------------------------------
GREET = b'220 mx.pinmail.test ESMTP Postfix\r\n'
EHLO = (b'250-mx.pinmail.test\r\n250-PIPELINING\r\n250-SIZE\r\n250-VRFY\r\n'
        b'250-ETRN\r\n250-AUTH PLAIN LOGIN\r\n250-ENHANCEDSTATUSCODES\r\n'
        b'250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n')
EHLO_LOGIN_ONLY = EHLO.replace(b'250-PIPELINING\r\n', b'').replace(
    b'AUTH PLAIN LOGIN', b'AUTH LOGIN')
AUTH_OK = b'235 2.7.0 Authentication successful\r\n'
AUTH_BAD = b'535 5.7.8 Error: authentication failed: authentication failure\r\n'
AUTH_STEP = b'535 5.7.8 Error: authentication failed: another step is needed in authentication\r\n'
USER_Q = b'334 VXNlcm5hbWU6\r\n'
PASS_Q = b'334 UGFzc3dvcmQ6\r\n'
MAIL_OK = b'250 2.1.0 Ok\r\n'
RCPT_OK = b'250 2.1.5 Ok\r\n'
RCPT_SYNTAX = b'501 5.1.3 Bad recipient address syntax\r\n'
RCPT_DENIED = b'554 5.7.1 <bob@pinmail.test>: Recipient address rejected: Access denied\r\n'
NO_VALID = b'554 5.5.1 Error: no valid recipients\r\n'
DATA_GO = b'354 End data with <CR><LF>.<CR><LF>\r\n'
QUEUED = b'250 2.0.0 Ok: queued as A71625142B5\r\n'
BYE = b'221 2.0.0 Bye\r\n'
TOO_BIG = b'552 5.3.4 Error: message file too big\r\n'
REJECTED = b'550 5.7.1 Message content rejected\r\n'
# Postfix without CHUNKING in its EHLO reply (smtpd_discard_ehlo_keywords =
# chunking), so the message goes with DATA.
EHLO_NO_CHUNKING = EHLO.replace(b'250-SMTPUTF8\r\n250 CHUNKING\r\n', b'250 SMTPUTF8\r\n')
EHLO_LOGIN_NO_CHUNKING = EHLO_LOGIN_ONLY.replace(b'250-SMTPUTF8\r\n250 CHUNKING\r\n',
                                                 b'250 SMTPUTF8\r\n')


def bdat_sent(sizes):
    """Postfix's replies to chunks that are not the LAST."""
    return b''.join(b'250 2.0.0 Ok: %d bytes\r\n' % n for n in sizes)


def bdat_ok(sizes):
    """Postfix's replies to a message sent as chunks of these sizes, the
    last one LAST: its reply gives the whole message's size."""
    return bdat_sent(sizes[:-1]) + (b'250 2.0.0 Ok: %d bytes queued as A71625142B5\r\n'
                                    % sum(sizes))


def smtp(flags, nrcpt, server, free=False, seed=0x1234):
    """fuzz_smtp: flags, recipients-1 (+4: out of turn), seed, replies."""
    b1 = (nrcpt - 1) | (4 if free else 0)
    return bytes([flags, b1, seed >> 8 & 0xff, seed & 0xff]) + server


TRACE, NOAUTH, DSN, UTF8, NULLFROM = 2, 1, 0x20, 0x40, 0x80


def msg(v):
    return v << 2


def ok_tail(nrcpt):
    return MAIL_OK + RCPT_OK * nrcpt + DATA_GO + QUEUED + BYE


smtp_seeds = {
    'postfix-plain-ok': smtp(TRACE, 1, GREET + EHLO + AUTH_OK + ok_tail(1)),
    'postfix-plain-ok-3rcpt': smtp(0, 3, GREET + EHLO + AUTH_OK + ok_tail(3)),
    'postfix-one-rcpt-refused': smtp(TRACE, 2, GREET + EHLO + AUTH_OK + MAIL_OK
                                     + RCPT_SYNTAX + RCPT_OK + DATA_GO + QUEUED + BYE),
    'postfix-no-valid-rcpt': smtp(TRACE, 1, GREET + EHLO + AUTH_OK + MAIL_OK
                                  + RCPT_SYNTAX + NO_VALID + BYE),
    'postfix-auth-failed': smtp(TRACE, 1, GREET + EHLO + AUTH_BAD + BYE),
    'postfix-auth-step': smtp(0, 1, GREET + EHLO + AUTH_STEP + BYE),
    'postfix-noauth-denied': smtp(NOAUTH | TRACE, 1, GREET + EHLO + MAIL_OK
                                  + RCPT_DENIED + NO_VALID + BYE),
    'postfix-dsn-utf8-4rcpt': smtp(DSN | UTF8 | TRACE, 4, GREET + EHLO + AUTH_OK + ok_tail(4)),
    'postfix-null-sender': smtp(NULLFROM | msg(1), 1, GREET + EHLO + AUTH_OK + ok_tail(1)),
    'postfix-long-line': smtp(msg(2) | TRACE, 1, GREET + EHLO + AUTH_OK + MAIL_OK
                              + RCPT_OK + DATA_GO),
    'postfix-read-error': smtp(msg(3), 1, GREET + EHLO + AUTH_OK + MAIL_OK + RCPT_OK + DATA_GO),
    'postfix-empty-message': smtp(msg(4), 1, GREET + EHLO + AUTH_OK + ok_tail(1)),
    'postfix-dot-line': smtp(msg(5), 1, GREET + EHLO + AUTH_OK + ok_tail(1)),
    'postfix-3k-message': smtp(msg(6) | TRACE, 2, GREET + EHLO + AUTH_OK + ok_tail(2), seed=0x7777),
    'postfix-bare-cr': smtp(msg(7), 1, GREET + EHLO + AUTH_OK + ok_tail(1)),
    'postfix-login-lockstep': smtp(TRACE, 2, GREET + EHLO_LOGIN_ONLY + USER_Q + PASS_Q
                                   + AUTH_OK + ok_tail(2)),
    'postfix-all-at-once': smtp(0, 1, GREET + EHLO + AUTH_OK + ok_tail(1), free=True),
    'greeting-refused': smtp(TRACE, 1, b'554 5.3.2 mx.example: go away\r\n' + BYE),
    'shutdown-421': smtp(0, 1, GREET + EHLO + b'421 4.3.2 Service shutting down\r\n'),
    'dot-refused-pipelined': smtp(0, 1, GREET + EHLO + AUTH_OK + MAIL_OK + RCPT_OK + DATA_GO
                                  + b'552 5.3.4 Error: message file too big\r\n' + BYE),
    'multiline-queued': smtp(TRACE, 1, GREET + EHLO + AUTH_OK + MAIL_OK + RCPT_OK + DATA_GO
                             + b'250-2.0.0 Ok\r\n250-queued as 1\r\n250 thanks\r\n' + BYE),
    'lf-only-replies': smtp(0, 1, (GREET + EHLO + AUTH_OK + ok_tail(1)).replace(b'\r\n', b'\n')),
    'temp-mail-451': smtp(0, 1, GREET + EHLO + AUTH_OK + b'451 4.3.0 busy\r\n' + BYE),
}

# BDAT (RFC 3030): the Postfix EHLO reply offers CHUNKING, so the message
# goes as chunks. How the harness cuts them depends on the seed bytes (its
# output room and read sizes); the sizes below are the ones it produces for
# each seed (PM_FUZZ_DEBUG=2 prints the commands), quoted in the replies
# the way Postfix 3.7 answers: "Ok: <n> bytes" to a chunk, "Ok: <n> bytes
# queued as ..." with the message's size to the LAST one, and "no valid
# recipients" to every chunk when no RCPT was taken.
smtp_seeds.update({
    'postfix-bdat-plain-ok': smtp(TRACE, 1, GREET + EHLO + AUTH_OK + MAIL_OK + RCPT_OK
                                  + bdat_ok([85]) + BYE, seed=0x1230),
    'postfix-bdat-two-chunks': smtp(0, 1, GREET + EHLO + AUTH_OK + MAIL_OK + RCPT_OK
                                    + bdat_ok([43, 42]) + BYE),
    'postfix-bdat-3k-message': smtp(msg(6) | TRACE, 2, GREET + EHLO + AUTH_OK + MAIL_OK + RCPT_OK * 2
                                    + bdat_ok([63, 166, 187, 2639]) + BYE, seed=0x7777),
    'postfix-bdat-3k-login-lockstep': smtp(msg(6), 2, GREET + EHLO_LOGIN_ONLY + USER_Q + PASS_Q
                                           + AUTH_OK + MAIL_OK + RCPT_OK * 2
                                           + bdat_ok([929, 938, 947, 186, 55]) + BYE, seed=0x4321),
    'postfix-bdat-empty-message': smtp(msg(4), 1, GREET + EHLO + AUTH_OK + MAIL_OK + RCPT_OK
                                       + bdat_ok([0]) + BYE),
    'postfix-bdat-dot-line': smtp(msg(5) | TRACE, 1, GREET + EHLO + AUTH_OK + MAIL_OK + RCPT_OK
                                  + bdat_ok([3]) + BYE),
    'postfix-bdat-bare-cr': smtp(msg(7), 1, GREET + EHLO + AUTH_OK + MAIL_OK + RCPT_OK
                                 + bdat_ok([2]) + BYE),
    'postfix-bdat-null-sender': smtp(NULLFROM | msg(1), 1, GREET + EHLO + AUTH_OK + MAIL_OK + RCPT_OK
                                     + bdat_ok([49, 11]) + BYE),
    'postfix-bdat-dsn-utf8-4rcpt': smtp(DSN | UTF8 | TRACE, 4, GREET + EHLO + AUTH_OK + MAIL_OK
                                        + RCPT_OK * 4 + bdat_ok([42, 43]) + BYE),
    'postfix-bdat-one-rcpt-refused': smtp(TRACE, 2, GREET + EHLO + AUTH_OK + MAIL_OK + RCPT_SYNTAX
                                          + RCPT_OK + bdat_ok([85]) + BYE),
    'postfix-bdat-no-valid-rcpt': smtp(TRACE, 1, GREET + EHLO + AUTH_OK + MAIL_OK + RCPT_SYNTAX
                                       + NO_VALID + BYE),
    'postfix-bdat-lockstep-rcpt-denied': smtp(NOAUTH | TRACE, 1, GREET + EHLO_LOGIN_ONLY + MAIL_OK
                                              + RCPT_DENIED + BYE),
    'postfix-bdat-long-line': smtp(msg(2) | TRACE, 1, GREET + EHLO + AUTH_OK + MAIL_OK + RCPT_OK
                                   + bdat_sent([45, 946, 943, 46])),
    'postfix-bdat-chunk-refused': smtp(msg(6), 1, GREET + EHLO + AUTH_OK + MAIL_OK + RCPT_OK
                                       + bdat_sent([928]) + TOO_BIG, seed=0x4242),
    'postfix-bdat-chunk-refused-lockstep': smtp(msg(6), 1, GREET + EHLO_LOGIN_ONLY + USER_Q + PASS_Q
                                                + AUTH_OK + MAIL_OK + RCPT_OK + bdat_sent([956])
                                                + TOO_BIG + BYE, seed=0x7778),
    'postfix-bdat-last-refused': smtp(TRACE, 1, GREET + EHLO + AUTH_OK + MAIL_OK + RCPT_OK
                                      + REJECTED + BYE, seed=0x1230),
    # DATA, from a server without CHUNKING
    'postfix-nochunking-plain-ok': smtp(TRACE, 1, GREET + EHLO_NO_CHUNKING + AUTH_OK + ok_tail(1)),
    'postfix-nochunking-3k-message': smtp(msg(6) | TRACE, 2, GREET + EHLO_NO_CHUNKING + AUTH_OK
                                          + ok_tail(2), seed=0x7777),
    'postfix-nochunking-login-lockstep': smtp(TRACE, 2, GREET + EHLO_LOGIN_NO_CHUNKING + USER_Q
                                              + PASS_Q + AUTH_OK + ok_tail(2)),
    'postfix-nochunking-long-line': smtp(msg(2) | TRACE, 1, GREET + EHLO_NO_CHUNKING + AUTH_OK
                                         + MAIL_OK + RCPT_OK + DATA_GO),
    'postfix-nochunking-no-valid-rcpt': smtp(TRACE, 1, GREET + EHLO_NO_CHUNKING + AUTH_OK + MAIL_OK
                                             + RCPT_SYNTAX + NO_VALID + BYE),
})

# ---- fuzz_auth: flags, seed, user NUL pass NUL, the server after EHLO ----
TAIL = MAIL_OK + RCPT_OK + DATA_GO + QUEUED + BYE


def auth(flags, user, pw, server, seed=0x2211):
    return bytes([flags, seed >> 8, seed & 0xff]) + user + b'\0' + pw + b'\0' + server


PLAIN_LOGIN, LOGIN, AUTH_EQ, LOWER, PIPE, ATRACE, AFREE, ACHUNK = 0, 1, 2, 3, 4, 8, 16, 32
auth_seeds = {
    'postfix-plain-ok': auth(PLAIN_LOGIN | PIPE | ATRACE, b'alice', b'alice-secret-pw', AUTH_OK + TAIL),
    'postfix-login-ok': auth(LOGIN | ATRACE, b'alice', b'alice-secret-pw',
                             USER_Q + PASS_Q + AUTH_OK + TAIL),
    'postfix-plain-bad': auth(PLAIN_LOGIN | PIPE, b'alice', b'wrong', AUTH_BAD + BYE),
    'postfix-login-bad': auth(LOGIN, b'alice', b'wrong', USER_Q + PASS_Q + AUTH_BAD + BYE),
    'auth-eq-login': auth(AUTH_EQ | ATRACE, b'router@example.org', b'p#ss w0rd',
                          USER_Q + PASS_Q + AUTH_OK + TAIL),
    'lower-case-plain': auth(LOWER | PIPE, b'u', b'', AUTH_OK + TAIL),
    'cred-255': auth(PLAIN_LOGIN | ATRACE, b'U' * 255, b'P' * 255, AUTH_OK + TAIL),
    'cred-256': auth(PLAIN_LOGIN, b'U' * 10, b'P' * 256, AUTH_OK + TAIL),
    'utf8-password': auth(LOGIN | ATRACE, 'jürgen'.encode(), 'pässwörd€'.encode(),
                          USER_Q + PASS_Q + AUTH_OK + TAIL),
    'temp-failure': auth(LOGIN, b'alice', b'pw', USER_Q + b'454 4.7.0 Temporary authentication failure\r\n' + BYE),
    'empty-challenge': auth(LOGIN | ATRACE, b'alice', b'pw', b'334\r\n334 \r\n' + AUTH_OK + TAIL),
    'out-of-turn': auth(LOGIN | AFREE, b'alice', b'pw', USER_Q + PASS_Q + AUTH_OK + TAIL),
    # CHUNKING offered: the 21-octet message as one "BDAT 21 LAST"
    'postfix-plain-bdat': auth(PLAIN_LOGIN | PIPE | ACHUNK | ATRACE, b'alice', b'alice-secret-pw',
                               AUTH_OK + MAIL_OK + RCPT_OK + bdat_ok([21]) + BYE),
    'postfix-login-bdat-lockstep': auth(LOGIN | ACHUNK, b'alice', b'alice-secret-pw',
                                        USER_Q + PASS_Q + AUTH_OK + MAIL_OK + RCPT_OK
                                        + bdat_ok([21]) + BYE),
    'postfix-plain-bdat-bad': auth(PLAIN_LOGIN | PIPE | ACHUNK, b'alice', b'wrong', AUTH_BAD + BYE),
}

# ---- fuzz_msg: flags, buffer, seed, name length, name, message ---------------
CALLER = {
    's-nail': b'Date: Sat, 28 Nov 2026 16:45:12 +0000\nTo: admin@example.org\n'
              b'Cc: ops@example.org\nSubject: disk alert\nUser-Agent: s-nail v14.9.24\n\n'
              b'Disk /dev/sda1 at 91%\n',
    'mutt': b'Date: Sat, 28 Nov 2026 16:45:12 +0000\nFrom: root <root@vm>\n'
            b'To: bob@example.org\nCc: Carol <carol@example.net>\n'
            b'Subject: nightly backup =?utf-8?B?4pyT?=\nMessage-ID: <awsFGD-wTqEoSBxY@vm>\n'
            b'MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n'
            b'Content-Disposition: inline\n\nbackup done\n',
    'bsd-mailx': b'To: bob@example.org\nSubject: mailx test\nCc: cc@example.org\n'
                 b'Bcc: hidden@example.org\nMIME-Version: 1.0\n'
                 b'Content-Type: text/plain; charset="UTF-8"\n'
                 b'Content-Transfer-Encoding: 8bit\n\nhello from mailx\n',
    'git-send-email': b'From: Alice Dev <alice@example.org>\nTo: Bob <bob@example.org>\n'
                      b'Cc: carol@example.net,\n\tAlice Dev <alice@example.org>\n'
                      b'Subject: [PATCH 1/1] Add a dot line and UTF-8 text\n'
                      b'Date: Sat, 28 Nov 2026 16:45:22 +0000\n'
                      b'Message-Id: <20261128164522.21710-1-alice@example.org>\n'
                      b'X-Mailer: git-send-email 2.39.5\nMIME-Version: 1.0\n'
                      b'Content-Type: text/plain; charset=UTF-8\n'
                      b'Content-Transfer-Encoding: 8bit\n\n---\n f | 3 +++\n'
                      b' 1 file changed, 3 insertions(+)\n\ndiff --git a/f b/f\n'
                      b'index 5626abf..e319d10 100644\n--- a/f\n+++ b/f\n@@ -1 +1,4 @@\n'
                      b' one\n+two\n+.\n+three gr\xc3\xbc\xc3\x9fe\n-- \n2.39.5\n\n',
    'php-mail': b'To: Bob <bob@example.org>\r\nSubject: php alert\r\n'
                b'From: web@example.org\r\nBcc: hidden@example.org\r\n\r\n'
                b'line1\nline2\n.\nline4\r\n',
    'cron': b'From: root (Cron Daemon)\nTo: root\n'
            b'Subject: Cron <root@vm> /usr/local/bin/nightly --verbose\nMIME-Version: 1.0\n'
            b'Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n'
            b'X-Cron-Env: <SHELL=/bin/sh>\nX-Cron-Env: <HOME=/root>\n'
            b'X-Cron-Env: <PATH=/usr/bin:/bin>\nX-Cron-Env: <LOGNAME=root>\n\n'
            b'nightly: 3 files rotated\n.\ngr\xc3\xbc\xc3\x9fe: done\n',
}


def m(flags, buf, seed, name, text):
    return bytes([flags, buf, seed, len(name)]) + name + text


IGNDOTS, NORCPT, STOP, ADDR, FAILEND = 1, 2, 4, 8, 16
msg_seeds = {}
for i, (k, v) in enumerate(CALLER.items()):
    msg_seeds[k] = m(0, 255, 7 + i, b'Subject', v)                 # sendmail -t
    msg_seeds[k + '-i'] = m(IGNDOTS, 20 + i, 99 + i, b'X-Mailer', v)  # -i, small buffer
msg_seeds['cron-stop-2'] = m(STOP | (1 << 5), 255, 3, b'To', CALLER['cron'])
msg_seeds['php-no-t-fail-end'] = m(NORCPT | FAILEND, 255, 5, b'Bcc', CALLER['php-mail'])
msg_seeds['no-header'] = m(0, 0, 1, b'Date', b'just a body line\n.\nafter the dot\n')
msg_seeds['folded-to'] = m(0, 40, 9, b'Message-ID',
                           b'To: "Doe, John" <john@example.org>,\r\n (comment) jane@example.org\r\n'
                           b'Cc: undisclosed-recipients:;\r\nBcc: team: a@x.example, b@y.example;\r\n\r\nbody\r\n')
msg_seeds['long-header-line'] = m(0, 30, 2, b'X', b'Subject: ' + b'x' * 1000 + b'\n\nbody\n')
ADDR_LISTS = {
    'addr-rfc5322': b'"Joe Q. Public" <john.q.public@example.com>, Mary Smith <mary@x.test>, '
                    b'jdoe@one.test, Who? <one@y.test>, <boss@nil.test>, '
                    b'"Giant; \\"Big\\" Box" <sysservices@example.net>',
    'addr-groups': b'A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;, '
                   b'Undisclosed recipients:;',
    'addr-obsolete': b'Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>, '
                     b'<@node.test,@node2.test:mailbox@example.net>, "quoted"@[192.0.2.1]',
    'addr-folded-utf8': b'=?UTF-8?Q?J=C3=BCrgen?= <j\xc3\xbcrgen@b\xc3\xbccher.example>,\r\n'
                        b'\t(nested (comment)) root, "a b"@example.org',
    'addr-bad': b'a@b, <unterminated@x, "open quote, c@d',
}
for k, v in ADDR_LISTS.items():
    msg_seeds[k] = m(ADDR | (1 << 5), 0, 0, b'', v)

# ---- fuzz_conf: configuration, then "\n@@@\n" password file, names ---------
SEP = b'\n@@@\n'
with open(os.path.join(ROOT, 'port', 'posix', 'pinmail.conf.example'), 'rb') as f:
    example = f.read()
PIN = b'8e6edc3279e1fbd16b14b7b7e6354b81226631a33be10e71ff0c99d835a6edf3'
e2e = (b'host localhost\nport 52881\nuser alice\npassword alice-secret-pw\n'
       b'from alice@pinmail.test\ntimeout 10\nspool /var/tmp/pinmail/cron.spool\n'
       b'tlsa 3 1 1 ' + PIN + b'\n')
conf_seeds = {
    'example': example.replace(b'#tlsa', b'tlsa') + SEP + b'secret-from-file\n',
    'example-as-shipped': example,
    'e2e-base': e2e,
    'e2e-cron': e2e + b'domain pinmail.test\nalias root alice@pinmail.test\n'
                      b'alias ops bob@pinmail.test,carol@pinmail.test\n'
                + SEP + SEP + b'root\nops\npostmaster\n',
    'e2e-cron-rewrite': e2e + b'domain pinmail.test\nalias root alice@pinmail.test\n'
                              b'rewrite_local_from on\n',
    'every-key': (b'# every key\nhost mail.example.org\nport 465\n'
                  b'tlsa 3 1 1 ' + PIN + b'\n'
                  b'tlsa\t2 0 2 ' + b'ab' * 64 + b'\n'
                  b'tlsa 3 1 0 3059301306072a8648ce3d020106082a8648ce3d03010703420004'
                  + b'11' * 64 + b'\n'
                  b'tlsa 1 1 1 ' + PIN + b'\n'
                  b'user router@example.org\npassword_file /etc/pinmail.secret\n'
                  b'from router@example.org\nhelo router.example.org\ntimeout 3600\n'
                  b'domain example.org\nrewrite_local_from off\n'
                  b'alias root: admin@example.org, "Ops" <ops@example.org>\n'
                  b'aliases /etc/aliases\nsyslog local3\nlogfile /var/log/pinmail.log\n'
                  b'spool /var/spool/pinmail\nspool_max 512K\nqueue off\nmax_queue_age 12h\n')
                 + SEP + b'pa#ss word\r\n' + SEP + b'root\npostmaster\na1\nping\nloop\nbad\n',
    'password-file-missing': e2e.replace(b'password alice-secret-pw',
                                         b'password_file /etc/missing.secret'),
    'password-file-denied': e2e.replace(b'password alice-secret-pw',
                                        b'password_file /etc/denied.secret'),
    'errors-tlsa': b'host h\ntlsa 3 1 1 0c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d\n',
    'crlf-and-blanks': e2e.replace(b'\n', b' \t\r\n') + b'\n   # indented comment\n\n',
}

# ---- fuzz_args: argv, NUL-separated -------------------------------------------
ARGV = {
    'bsd-mailx': ['/usr/sbin/sendmail', '-i', '-t'],
    's-nail': ['/usr/sbin/sendmail', '-i', '--', 'bob@pinmail.test', 'carol@pinmail.test',
               'erin@pinmail.test'],
    'mutt': ['/usr/sbin/sendmail', '-oem', '-oi', '--', 'bob@pinmail.test',
             'carol@pinmail.test', 'erin@pinmail.test'],
    'git-send-email': ['/usr/sbin/sendmail', '-f', 'patches@pinmail.test', '-i',
                       'bob@pinmail.test', 'carol@pinmail.test', 'erin@pinmail.test'],
    'php': ['/usr/sbin/sendmail', '-t', '-i'],
    'cron': ['/usr/sbin/sendmail', '-FCronDaemon', '-i', '-B8BITMIME', '-oem', 'root'],
    'dsn': ['pinmail', '-N', 'success,delay', '-R', 'hdrs', '-V', 'id-42', '-B7BIT', '-v',
            '"Name" <a@example.org>, b@example.org'],
    'mailq': ['mailq'],
    'newaliases': ['/usr/bin/newaliases'],
    'queue': ['sendmail', '-q15m', '-L', 'backup', '-C', '/etc/pinmail-alt.conf'],
    'import-msmtprc': ['pinmail', '--import-msmtprc', '/home/u/.msmtprc', 'work'],
    'ignored-options': ['sendmail', '-odi', '-O', 'DeliveryMode=b', '-h', '17', '-em', '-G',
                        '-U', '-m', '-n', '-bm', '-r', 'bounce@example.org', 'x@example.org'],
    'refused-mode': ['sendmail', '-bs'],
}
args_seeds = {k: b'\0'.join(a.encode() for a in v) for k, v in ARGV.items()}

# ---- fuzz_dane: flags, records, seed, then length-prefixed certificates ------


def dane_seeds():
    def der(n):
        with open(os.path.join(CERTS, n + '.der'), 'rb') as f:
            return f.read()

    def d(flags, mask, seed, certs, wrong=0):
        b = bytes([flags, mask & 0xff, (mask >> 8 & 0x0f) | (wrong << 4), seed])
        for c in certs:
            b += struct.pack('>H', len(c)) + c
        return b
    NAME, CLOCK, CHUNKS, WRONG, BEARSSL = 1, 2, 4, 8, 16
    ALL = NAME | CLOCK | CHUNKS
    return {
        'rsa-ee-spki-sha256': d(ALL, 0x001, 1, [der('rsa'), der('int')]),
        'ec-every-record': d(ALL, 0xfff, 2, [der('ec'), der('int')]),
        'ec384-ee-cert-sha512': d(CHUNKS, 0x004, 3, [der('ec384'), der('int')]),
        'rsa4096-ee-exact-spki': d(ALL, 0x008, 4, [der('rsa4096'), der('int')]),
        'rsa4096-bearssl-chunks': d(ALL | BEARSSL, 0x011, 4, [der('rsa4096'), der('int'), der('ca')]),
        'ec-ta-int': d(ALL, 0x010, 5, [der('ec'), der('int')]),
        'ec-ta-no-clock': d(NAME | CHUNKS, 0x010, 6, [der('ec'), der('int')]),
        'ec-ta-no-name': d(CLOCK | CHUNKS, 0x010, 7, [der('ec'), der('int')]),
        'direct-ta-root': d(ALL, 0x880, 8, [der('direct'), der('ca')]),
        'expired-ta': d(ALL, 0x010, 9, [der('expired'), der('int')]),
        'wrongname-ta': d(ALL, 0x810, 10, [der('wrongname'), der('int')]),
        'rsa2-wrong-pin': d(ALL, 0x040, 11, [der('rsa2'), der('int')]),
        'unusable-only': d(ALL, 0x300, 12, [der('rsa'), der('int')]),
        'digest-agility': d(ALL, 0x007, 13, [der('ec'), der('int')]),
        'full-chain-ta-root': d(ALL, 0x0a0, 14, [der('rsa'), der('int'), der('ca')]),
        'nine-certs': d(ALL, 0x0a0, 15, [der('ec')] + [der('int')] * 7 + [der('ca')]),
        'announced-short': d(ALL | WRONG, 0x001, 0, [der('ec'), der('int')], wrong=1),
        'announced-long': d(ALL | WRONG, 0x001, 0, [der('ec'), der('int')], wrong=6),
        'truncated-leaf': d(ALL, 0x003, 16, [der('rsa')[:300]]),
        'no-certs': d(ALL, 0x001, 17, []),
    }


corpus('smtp', smtp_seeds)
corpus('auth', auth_seeds)
corpus('msg', msg_seeds)
corpus('conf', conf_seeds)
corpus('args', args_seeds)
if os.path.isdir(CERTS):
    corpus('dane', dane_seeds())
else:
    print('no %s: run `make certs` for the dane seeds' % CERTS, file=sys.stderr)

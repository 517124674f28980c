#!/usr/bin/python3
"""A real SMTP server (aiosmtpd) that keeps every message it accepts.

Stands in for Mailgun on 127.0.0.1. Each accepted message is written as
<maildir>/<timestamp>-<n>.eml (written to a temp name first, then renamed,
so a reader never sees half a message).

Options let tests exercise the paths production has:
  --auth-user/--auth-password-file  require AUTH PLAIN/LOGIN with these
  --tls-cert/--tls-key              offer STARTTLS (and require it for AUTH)
  --implicit-tls                    with them: TLS from the first byte
                                    (smtps, port 465) and no STARTTLS
  refuse mode: while the file <maildir>/../smtp-refuse exists, every
  MAIL FROM is answered "451 4.3.0 sink refusing (test)", a temporary error
  a client must retry later.
"""
import argparse
import os
import signal
import ssl
import sys
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class KeepEverything:
    def __init__(self, maildir, refuse_flag):
        self.maildir = maildir
        self.refuse_flag = refuse_flag
        self.count = 0
        self.lock = threading.Lock()

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if os.path.exists(self.refuse_flag):
            return "451 4.3.0 sink refusing (test)"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            n = self.count
        name = "%d-%04d.eml" % (time.time_ns(), n)
        tmp = os.path.join(self.maildir, "." + name + ".tmp")
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        with open(tmp, "wb") as f:
            f.write(b"X-Sink-Mail-From: " + envelope.mail_from.encode() + b"\r\n")
            f.write(b"X-Sink-Rcpt-To: " + ", ".join(envelope.rcpt_tos).encode() + b"\r\n")
            f.write(data)
        os.rename(tmp, os.path.join(self.maildir, name))
        print("accepted message %s from %s to %s" % (name, envelope.mail_from,
              ",".join(envelope.rcpt_tos)), file=sys.stderr, flush=True)
        return "250 Message accepted for delivery"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", default="127.0.0.1:2525", help="ADDR:PORT (loopback only)")
    ap.add_argument("--maildir", required=True)
    ap.add_argument("--auth-user")
    ap.add_argument("--auth-password-file")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--implicit-tls", action="store_true")
    a = ap.parse_args()
    if a.implicit_tls and not a.tls_cert:
        ap.error("--implicit-tls needs --tls-cert and --tls-key")

    host, port = a.listen.rsplit(":", 1)
    os.makedirs(a.maildir, exist_ok=True)
    refuse_flag = os.path.join(os.path.dirname(os.path.abspath(a.maildir)), "smtp-refuse")
    kw = {}
    if a.tls_cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
        if a.implicit_tls:
            kw["ssl_context"] = ctx  # the listening socket itself speaks TLS
        else:
            kw["tls_context"] = ctx
            kw["require_starttls"] = False
    if a.auth_user:
        with open(a.auth_password_file) as f:
            password = f.read().strip()

        def authenticator(server, session, envelope, mechanism, auth_data):
            good = (isinstance(auth_data, LoginPassword)
                    and auth_data.login.decode() == a.auth_user
                    and auth_data.password.decode() == password)
            # handled=False: aiosmtpd answers 235 or 535 itself (the default
            # True would leave a failed AUTH unanswered).
            return AuthResult(success=good, handled=False)

        kw["authenticator"] = authenticator
        kw["auth_required"] = True
        # Offer PLAIN only, as Mailgun does in practice: aiosmtpd lists LOGIN
        # first and challenges it with "User Name\0", which Go's LOGIN
        # (Alertmanager's) does not expect.
        kw["auth_exclude_mechanism"] = ["LOGIN"]
        # Without a certificate the sink still offers AUTH (plain loopback
        # tests); with one, AUTH only after STARTTLS, as Mailgun does.
        # aiosmtpd counts only STARTTLS as TLS: over implicit TLS the
        # session is encrypted from the first byte, so AUTH needs no more.
        kw["auth_require_tls"] = bool(a.tls_cert) and not a.implicit_tls

    handler = KeepEverything(a.maildir, refuse_flag)
    ctl = Controller(handler, hostname=host, port=int(port), **kw)
    ctl.start()
    print("smtp sink listening on %s:%s, keeping mail in %s" % (host, port, a.maildir),
          file=sys.stderr, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    ctl.stop()


if __name__ == "__main__":
    main()

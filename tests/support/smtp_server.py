#!/usr/bin/python3
"""A real SMTP server on 127.0.0.1 for Curator's tests, built on aiosmtpd.

It binds a free port, writes the number to --port-file once it accepts
connections, and stores each accepted message as MAILDIR/NNNN.eml (the
bytes after dot-unstuffing, line ends as received) with MAILDIR/NNNN.env
beside it:

    EHLO <name the client gave>
    AUTH <login>            (only after a successful AUTH)
    MAIL FROM:<address>
    RCPT TO:<address>       (one line per recipient)

The .env file is written first and both are renamed into place, so a
reader that sees NNNN.eml sees a whole message and its envelope.

Modes: accept (default); reject550 answers RCPT with "550 5.1.1 mailbox
unavailable" (reject550multi: the same with a second line "550 5.1.1 see
https://example.org/550"); tempfail451 answers the end of DATA with "451
4.3.0 try again later"; tempfail451rcpt answers RCPT with it;
reject554data answers the end of DATA with "554 5.6.0 message refused";
auth requires AUTH PLAIN or LOGIN (without TLS) as --user/--password.

SIGTERM or SIGINT stops it cleanly; so does its parent going away, so a
crashed test leaves no server behind. Run it with /usr/bin/python3, which
has Debian's python3-aiosmtpd.
"""

import argparse
import asyncio
import logging
import os
import signal
import sys
import warnings

try:
    from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
except ImportError:
    sys.stderr.write("smtp_server.py: aiosmtpd is missing; install "
                     "python3-aiosmtpd (make deps)\n")
    sys.exit(2)

MODES = ("accept", "reject550", "reject550multi", "tempfail451",
         "tempfail451rcpt", "reject554data", "auth")


def write_atomic(path, data):
    """Write bytes to path through a temporary file and rename()."""
    tmp = os.path.join(os.path.dirname(path),
                       ".tmp-" + os.path.basename(path))
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, path)


class Handler:
    def __init__(self, maildir, mode):
        self.maildir = maildir
        self.mode = mode
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        if self.mode == "reject550":
            return "550 5.1.1 mailbox unavailable"
        if self.mode == "reject550multi":
            return ("550-5.1.1 mailbox unavailable\r\n"
                    "550 5.1.1 see https://example.org/550")
        if self.mode == "tempfail451rcpt":
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.mode == "tempfail451":
            return "451 4.3.0 try again later"
        if self.mode == "reject554data":
            return "554 5.6.0 message refused"
        self.count += 1
        base = os.path.join(self.maildir, "%04d" % self.count)
        env = ["EHLO %s" % session.host_name]
        if session.authenticated and session.auth_data is not None:
            login = getattr(session.auth_data, "login", b"")
            env.append("AUTH %s" % login.decode("utf-8", "replace"))
        env.append("MAIL FROM:<%s>" % envelope.mail_from)
        env.extend("RCPT TO:<%s>" % r for r in envelope.rcpt_tos)
        write_atomic(base + ".env", ("\n".join(env) + "\n").encode())
        write_atomic(base + ".eml", envelope.original_content)
        return "250 2.0.0 OK queued as %04d" % self.count


class Authenticator:
    def __init__(self, user, password):
        self.user = user.encode()
        self.password = password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == self.user
              and auth_data.password == self.password)
        # handled=False: let aiosmtpd send its own 535 on failure.
        return AuthResult(success=ok, handled=False, auth_data=auth_data)


async def serve(args):
    loop = asyncio.get_running_loop()
    handler = Handler(args.maildir, args.mode)
    kwargs = {"hostname": "sink.test", "ident": "curator test sink"}
    if args.mode == "auth":
        kwargs.update(authenticator=Authenticator(args.user, args.password),
                      auth_required=True, auth_require_tls=False)

    def factory():
        return SMTP(handler, loop=loop, **kwargs)

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    server = await loop.create_server(factory, host="127.0.0.1", port=0)
    port = server.sockets[0].getsockname()[1]
    write_atomic(args.port_file, b"%d\n" % port)
    parent = os.getppid()
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), 0.5)
        except asyncio.TimeoutError:
            if os.getppid() != parent:
                break
    server.close()
    await server.wait_closed()


def main():
    p = argparse.ArgumentParser(description="SMTP sink for tests")
    p.add_argument("--port-file", required=True)
    p.add_argument("--maildir", required=True)
    p.add_argument("--mode", choices=MODES, default="accept")
    p.add_argument("--user", default="")
    p.add_argument("--password", default="")
    args = p.parse_args()
    if args.mode == "auth" and not args.user:
        p.error("--mode auth needs --user and --password")
    # aiosmtpd warns about AUTH without TLS, which is the point here.
    warnings.simplefilter("ignore")
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())

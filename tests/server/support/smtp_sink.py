#!/usr/bin/python3
"""A loopback SMTP server for the tests of e-mail delivery, on Debian's
python3-aiosmtpd: listens on 127.0.0.1:PORT, saves each message it accepts as
DIR/<n>.eml (the envelope's recipients first, as an X-Envelope-To line),
answers the first REFUSE messages 451 (try again later), and prints "ready"
once it listens. With USER:PASSWORD it requires SMTP authentication (PLAIN
or LOGIN, allowed without TLS on loopback) and accepts only those. Runs
until SIGTERM.

    smtp_sink.py PORT DIR [REFUSE [USER:PASSWORD]]
"""
import asyncio
import os
import signal
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, folder, refuse):
        self.folder = folder
        self.refuse = refuse
        self.saved = 0

    async def handle_DATA(self, server, session, envelope):
        if self.refuse > 0:
            self.refuse -= 1
            return "451 4.3.0 Try again later"
        self.saved += 1
        path = os.path.join(self.folder, f"{self.saved}.eml")
        with open(path + ".part", "wb") as out:
            out.write(b"X-Envelope-To: " + ",".join(envelope.rcpt_tos).encode() + b"\r\n")
            out.write(envelope.original_content)
        os.rename(path + ".part", path)
        return "250 2.0.0 Saved"


def authenticator_for(credentials):
    user, password = credentials.encode().split(b":", 1)

    def check(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == user and auth_data.password == password
        return AuthResult(success=ok)

    return check


def main():
    port, folder = int(sys.argv[1]), sys.argv[2]
    refuse = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    options = {}
    if len(sys.argv) > 4:
        options = {"authenticator": authenticator_for(sys.argv[4]), "auth_required": True, "auth_require_tls": False}
    controller = Controller(Sink(folder, refuse), hostname="127.0.0.1", port=port, **options)
    controller.start()
    print("ready", flush=True)
    signal.sigwait([signal.SIGTERM, signal.SIGINT])
    controller.stop()


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTERM, signal.SIGINT])
    main()

"""A local SMTP server (aiosmtpd) and a local webhook receiver (http.server) for the notification tests, both on
127.0.0.1 in threads of the test process."""

import email
import email.policy
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


class MailBox:
    """aiosmtpd handler keeping every accepted message; ``fail`` answers 451 to the next n messages; ``stall``
    holds the next message until ``release`` (a message whose client went away meanwhile is not accepted)."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.fail = 0
        self.stall_next = False
        self.stall_after: int | None = None  # stall the message that arrives after this many were accepted
        self.stalled = threading.Event()
        self._release = threading.Event()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        if self.fail > 0:
            self.fail -= 1
            return "451 Try again later"
        if self.stall_next or (self.stall_after is not None and len(self.messages) == self.stall_after):
            self.stall_next, self.stall_after = False, None
            self.stalled.set()
            while not self._release.is_set():
                await asyncio.sleep(0.05)
            if session.transport is None or session.transport.is_closing():
                return "451 Client went away"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 OK"

    def release(self) -> None:
        self._release.set()

    def wait_for(self, count: int, timeout: float = 30.0) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.messages) < count:
            time.sleep(0.05)
        return list(self.messages)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    def __init__(self):
        self.box = MailBox()
        self.controller = Controller(self.box, hostname="127.0.0.1", port=free_port())

    def __enter__(self):
        self.controller.start()
        return self

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.controller.port}"

    def __exit__(self, *exc):
        self.box.release()
        self.controller.stop()


class Receiver:
    """Records every POST (headers, body) and answers with the next scripted status (200 once the script ends)."""

    def __init__(self, statuses=()):
        self.requests: list[dict] = []
        self.statuses = list(statuses)
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.requests.append({"headers": dict(self.headers), "body": body, "status": status})
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def acknowledged(self) -> list[dict]:
        """The deliveries answered with 2xx, as parsed JSON bodies."""
        return [json.loads(r["body"]) for r in self.requests if 200 <= r["status"] < 300]

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

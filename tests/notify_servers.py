"""A local SMTP server (aiosmtpd) and a local webhook receiver (http.server, plain or TLS with a certificate
made here for a test host name) for the notification tests, both on 127.0.0.1 in threads of the test process."""

import datetime
import email
import email.policy
import json
import ssl
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
    """Records every POST (headers, body) and answers with the next scripted status (200 once the script ends),
    with ``location`` as its Location header when given. With ``tls`` (a ``HostCertificates``) it speaks HTTPS with
    the certificate for that name and records the SNI name each client sent in ``server_names``."""

    def __init__(self, statuses=(), location: str | None = None, tls: "HostCertificates | None" = None):
        self.requests: list[dict] = []
        self.statuses = list(statuses)
        self.server_names: list[str | None] = []
        self.location = location
        self.tls = tls
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.requests.append({"headers": dict(self.headers), "body": body, "status": status})
                self.send_response(status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(tls.cert_path, tls.key_path)
            context.sni_callback = lambda sock, name, ctx: self.server_names.append(name)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def acknowledged(self) -> list[dict]:
        """The deliveries answered with 2xx, as parsed JSON bodies."""
        return [json.loads(r["body"]) for r in self.requests if 200 <= r["status"] < 300]

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class HostCertificates:
    """A throwaway certificate authority (``ca_path``) and a server certificate it signed for ``name``
    (``cert_path``, ``key_path``), written under ``directory``."""

    def __init__(self, directory, name: str):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        now = datetime.datetime.now(datetime.UTC)

        def build(subject, issuer, public_key, signing_key, *, ca: bool):
            builder = (
                x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
                .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
                .public_key(public_key)
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(hours=1))
                .not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            )
            if ca:
                builder = builder.add_extension(
                    x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
                ).add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            else:
                builder = builder.add_extension(
                    x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False
                ).add_extension(
                    x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()), critical=False
                )
            return builder.sign(signing_key, hashes.SHA256())

        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_cert = build("fieldops test CA", "fieldops test CA", ca_key.public_key(), ca_key, ca=True)
        key = ec.generate_private_key(ec.SECP256R1())
        cert = build(name, "fieldops test CA", key.public_key(), ca_key, ca=False)
        self.name = name
        self.ca_path = str(directory / "ca.pem")
        self.cert_path = str(directory / "server.pem")
        self.key_path = str(directory / "server.key")
        pem = serialization.Encoding.PEM
        with open(self.ca_path, "wb") as out:
            out.write(ca_cert.public_bytes(pem))
        with open(self.cert_path, "wb") as out:
            out.write(cert.public_bytes(pem))
        with open(self.key_path, "wb") as out:
            out.write(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))

"""Real local peers for member channels: an SMTP mailbox (aiosmtpd) and an HTTP receiver of Apprise's json://
posts. Apprise talks to them exactly as it would to a mail server or a chat service."""

from __future__ import annotations

import email
import email.policy
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.support import free_port

LINK = re.compile(r"https?://\S+/signin/link/[A-Za-z0-9_.\-]+")


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    subject: str
    text: str

    @property
    def signin_link(self) -> str:
        found = LINK.search(self.text)
        assert found is not None, self.text
        return found.group(0)


@dataclass
class Mailbox:
    """What the SMTP server received, and the `mailto://` URL that sends to it."""

    port: int = 0
    mails: list[Mail] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def url(self, to: str) -> str:
        return f"mailto://127.0.0.1:{self.port}?from=accord@example.com&to={to}"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        part = message.get_body(preferencelist=("plain", "html"))
        text = part.get_content() if part is not None else ""
        with self.arrived:
            self.mails.append(
                Mail(str(envelope.mail_from), [str(r) for r in envelope.rcpt_tos], str(message["subject"]), text)
            )
            self.arrived.notify_all()
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 30) -> list[Mail]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.mails) >= count, timeout)
            return list(self.mails)


@contextmanager
def mailbox() -> Iterator[Mailbox]:
    """An SMTP server on 127.0.0.1 (a free port) for the duration of the block."""
    box = Mailbox(port=free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@dataclass
class JsonInbox:
    """Apprise json:// posts received ({"title", "message", "type", ...}), answering `script` codes in turn."""

    port: int = 0
    script: list[int] = field(default_factory=list)
    posts: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def url(self, path: str = "notify") -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    def wait_for(self, count: int, timeout: float = 30) -> list[dict[str, Any]]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.posts) >= count, timeout)
            return list(self.posts)


@contextmanager
def json_inbox(script: list[int] | None = None) -> Iterator[JsonInbox]:
    """An HTTP server on 127.0.0.1 taking Apprise's JSON notifications."""
    box = JsonInbox(script=list(script or []))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length") or 0))
            with box.arrived:
                status = box.script.pop(0) if box.script else 200
                box.statuses.append(status)
                if 200 <= status < 300:
                    box.posts.append(json.loads(raw or b"{}"))
                box.arrived.notify_all()
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)

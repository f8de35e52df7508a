"""The README's webhook receiver snippet, run as written against a real delivery from the outbox."""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks import WebhookVerificationError

from accord.bootstrap import build_services
from accord.clock import SystemClock
from tests.support import World

README = Path(__file__).resolve().parent.parent / "README.md"


def snippet() -> str:
    section = README.read_text().split("### Webhooks", 1)[1].split("\n## ", 1)[0]
    [block] = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    return str(block)


def test_the_readme_receiver_verifies_a_real_delivery_and_skips_a_retry(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    services = build_services(sqlite_url, SystemClock())
    services.ctx.allow_private_targets = True
    world = World(services)
    world.group("backend-team", {"cy": {"role": "owner", "kind": "human"}, "ana": {}})
    answers: list[int] = []
    namespace: dict[str, Any] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            status = namespace["receive"](body, {k.lower(): v for k, v in self.headers.items()})
            answers.append(status)
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/accord"
        added = world.api("cy").add_webhook("backend-team", url, ["proposal.*"])
        monkeypatch.setenv("ACCORD_WEBHOOK_SECRET", added["secret"])
        exec(snippet(), namespace)
        world.api("ana").gate_request("deploy", {"version": "2.0"}, "backend-team")
        services.worker().drain()
        assert answers == [204]
        assert "ana asks to deploy: vote on prop_" in capsys.readouterr().out
        [delivery] = world.api("cy").list_deliveries(added["id"])
        world.api("cy").redeliver(delivery["id"])
        services.worker().drain()
        assert answers == [204, 200]  # the same webhook-id again: already handled
        with pytest.raises(WebhookVerificationError):
            namespace["receive"](
                b'{"type": "forged"}', {"webhook-id": "x", "webhook-timestamp": "1", "webhook-signature": "v1,AAAA"}
            )
    finally:
        server.shutdown()
        server.server_close()
        services.close()

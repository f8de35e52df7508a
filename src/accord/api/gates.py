"""Gates and the inbox as operations (SPEC §5, §7), named as the MCP tools."""

from __future__ import annotations

from typing import Any

from accord.api.base import ApiBase, parse_instant


class GateApi(ApiBase):
    # -- gates ---------------------------------------------------------------------------------------------

    def gate_request(
        self, subject: str, payload: Any = None, group: str | None = None, timeout_seconds: float | None = None
    ) -> dict[str, Any]:
        return self.services.gates.request(self.actor, subject, payload, group, timeout_seconds)

    def gate_vote(self, request_id: str, vote: str, comment: str | None = None) -> dict[str, Any]:
        return self.services.gates.vote(self.actor, request_id, vote, comment)

    def gate_tally(self, subject: str, group: str | None = None) -> dict[str, Any]:
        return self.services.gates.tally(self.actor, subject, group)

    def gate_wait(self, subject: str, timeout: float = 300, group: str | None = None) -> dict[str, Any]:
        return self.services.gates.wait(self.actor, subject, timeout, group)

    def gate_close(self, request_id: str) -> dict[str, Any]:
        return self.services.gates.close(self.actor, request_id)

    def gate_list(
        self, status: str | None = None, group: str | None = None, awaiting_me: bool = False, limit: int = 100
    ) -> list[dict[str, Any]]:
        return self.services.gates.listing(self.actor, status=status, group=group, awaiting_me=awaiting_me, limit=limit)

    # -- inbox ---------------------------------------------------------------------------------------------

    def send_message(
        self,
        to: str,
        content: str,
        group: str,
        type: str = "NOTICE",
        subject: str | None = None,
        payload: Any = None,
        ttl_seconds: int | None = None,
    ) -> dict[str, Any]:
        return self.services.inbox.send(
            self.actor, to, content, group, type=type, subject=subject, payload=payload, ttl_seconds=ttl_seconds
        )

    def check_inbox(
        self, since: str | None = None, unread_only: bool = False, limit: int = 100
    ) -> list[dict[str, Any]]:
        return self.services.inbox.listing(
            self.actor, since=parse_instant(since, "since"), unread_only=unread_only, limit=limit
        )

    def recv_message(
        self, wait: float = 0, type: str | None = None, subject: str | None = None
    ) -> dict[str, Any] | None:
        return self.services.inbox.recv(self.actor, wait, type=type, subject=subject)

    def peek_message(self, type: str | None = None, subject: str | None = None) -> dict[str, Any] | None:
        return self.services.inbox.peek(self.actor, type=type, subject=subject)

    def mark_message_read(self, message_id: str) -> dict[str, Any]:
        return self.services.inbox.mark_read(self.actor, message_id)

    def claim_message(self, message_id: str, timeout_seconds: int = 300) -> dict[str, Any]:
        return self.services.inbox.claim(self.actor, message_id, timeout_seconds)

    def complete_message(self, message_id: str, response: str | None = None) -> dict[str, Any]:
        return self.services.inbox.complete(self.actor, message_id, response)

    def release_message(self, message_id: str) -> dict[str, Any]:
        return self.services.inbox.release(self.actor, message_id)

"""The Python client: the same operations as `accord.api.Api`, over HTTP, with the same results and errors.

    from accord.client import AccordClient
    with AccordClient("http://127.0.0.1:8000", "acc_…") as accord:
        rid = accord.gate_request("deploy", {"version": "2.0"}, group="eng")["request_id"]
        if accord.wait_for_consensus("deploy", timeout=600, group="eng")["status"] == "approved":
            ...

Refusals come back as the same `accord.domain.errors` classes with the same messages, so the CLI prints
and exits the same against a server (ACCORD_URL + ACCORD_TOKEN) as on a local store.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any, cast
from urllib.parse import quote

import httpx

from accord.approval import Approval as Approval
from accord.approval import ApprovalDenied as ApprovalDenied
from accord.approval import require_approval as require_approval
from accord.clock import SystemClock
from accord.domain import errors
from accord.domain.errors import AccordError, UnavailableError
from accord.proof import receipts

DEFAULT_TIMEOUT = 30.0
MAX_SERVER_WAIT = 3600  # the server's longest single long-poll


def _error_classes() -> dict[str, type[AccordError]]:
    """Every AccordError subclass by the code it declares itself (subclasses that inherit a code don't claim it)."""
    found: dict[str, type[AccordError]] = {}
    pending: list[type[AccordError]] = [AccordError]
    while pending:
        cls = pending.pop()
        if "code" in vars(cls):
            found.setdefault(cls.code, cls)
        pending.extend(cls.__subclasses__())
    return found


BY_STATUS: dict[int, type[AccordError]] = {
    400: errors.ValidationError,
    401: errors.AuthError,
    403: errors.ForbiddenError,
    404: errors.NotFoundError,
    405: errors.ValidationError,
    409: errors.ConflictError,
    413: errors.PayloadTooLargeError,
    422: errors.ValidationError,
    429: errors.RateLimitedError,
}


def error_from(response: httpx.Response) -> AccordError:
    """The AccordError a REST error response stands for (same class, message and details as on the server)."""
    try:
        body = response.json()
        error = body["error"]
        code, message, details = str(error["code"]), str(error["message"]), dict(error.get("details") or {})
    except (ValueError, KeyError, TypeError):
        text = response.text.strip()[:500] or response.reason_phrase
        if response.status_code >= 500 or response.status_code not in BY_STATUS:
            return UnavailableError(f"the server answered {response.status_code}: {text}")
        return BY_STATUS[response.status_code](text)
    cls = _error_classes().get(code) or BY_STATUS.get(response.status_code)
    if cls is None:
        cls = UnavailableError if response.status_code >= 500 else errors.ValidationError
    exc = cls.__new__(cls)
    mentions = details.pop("mentions", None)
    AccordError.__init__(exc, message, mentions=tuple(mentions) if isinstance(mentions, list) else (), **details)
    return exc


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _fields(args: dict[str, Any], *path: str) -> dict[str, Any]:
    """A method's own arguments as the request body (their names are the body's field names)."""
    return {k: v for k, v in args.items() if k != "self" and k not in path}


def _p(segment: str) -> str:
    return quote(str(segment), safe="")


class AccordClient:
    """Talks to an `accord serve` at `url` as the member whose `token` it carries."""

    def __init__(
        self, url: str, token: str | None, *, timeout: float = DEFAULT_TIMEOUT, http: httpx.Client | None = None
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._owned = http is None
        self._http = http or httpx.Client(base_url=self.url, timeout=timeout)
        self._http.headers.update(headers)

    def close(self) -> None:
        self._http.close()

    def __del__(self) -> None:
        # One-shot users (each CLI command) never call close(): do not leave the socket to the collector.
        http = getattr(self, "_http", None)
        if http is not None and self._owned:
            http.close()

    def __enter__(self) -> AccordClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        wait: float = 0,
    ) -> Any:
        """One request; AccordErrors for refusals, UnavailableError when the server cannot be reached."""
        limit = self.timeout + float(wait)
        query = {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in _clean(params or {}).items()}
        try:
            response = self._http.request(method, "/v1" + path, params=query, json=body, timeout=limit)
        except httpx.TimeoutException:
            raise UnavailableError(f"the server at {self.url} did not answer within {limit:g}s") from None
        except httpx.HTTPError as exc:
            raise UnavailableError(f"the server at {self.url} is unavailable: {exc}") from None
        if response.status_code >= 400:
            raise error_from(response)
        return response.json()

    def _one(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        return cast(dict[str, Any], self._call(method, path, **kw))

    def _many(self, method: str, path: str, **kw: Any) -> list[dict[str, Any]]:
        return cast(list[dict[str, Any]], self._call(method, path, **kw))

    def _maybe(self, method: str, path: str, **kw: Any) -> dict[str, Any] | None:
        return cast(dict[str, Any] | None, self._call(method, path, **kw))

    # -- members and groups --------------------------------------------------------------------------------

    def whoami(self) -> dict[str, Any]:
        return self._one("GET", "/me")

    def create_member(self, name: str, kind: str = "agent", admin: bool = False) -> dict[str, Any]:
        return self._one("POST", "/members", body={"name": name, "kind": kind, "admin": admin})

    def issue_token(self, name: str, label: str | None = None, expires_in: str | None = None) -> dict[str, Any]:
        return self._one("POST", f"/members/{_p(name)}/tokens", body={"label": label, "expires_in": expires_in})

    def list_tokens(self, name: str) -> list[dict[str, Any]]:
        return self._many("GET", f"/members/{_p(name)}/tokens")

    def revoke_token(self, name: str, token_id: str | None = None) -> dict[str, Any]:
        if token_id is None:
            return self._one("DELETE", f"/members/{_p(name)}/tokens")
        return self._one("DELETE", f"/members/{_p(name)}/tokens/{_p(token_id)}")

    def revoke_tokens(self, name: str) -> dict[str, Any]:
        """Every token of `name` (`revoke_token` without an id)."""
        return self.revoke_token(name)

    def list_all_members(self) -> list[dict[str, Any]]:
        return self._many("GET", "/members")

    def create_group(self, name: str, description: str = "") -> dict[str, Any]:
        return self._one("POST", "/groups", body={"name": name, "description": description})

    def list_groups(self) -> list[dict[str, Any]]:
        return self._many("GET", "/groups")

    def add_group_member(
        self,
        group: str,
        member: str,
        role: str = "member",
        weight: float | str = 1,
        advisory: bool = False,
        veto: bool = False,
        expertise: list[str] | None = None,
    ) -> dict[str, Any]:
        body = _fields(locals(), "group")
        return self._one("POST", f"/groups/{_p(group)}/members", body=body)

    def remove_group_member(self, group: str, member: str) -> dict[str, Any]:
        return self._one("DELETE", f"/groups/{_p(group)}/members/{_p(member)}")

    def list_members(self, group: str) -> list[dict[str, Any]]:
        return self._many("GET", f"/groups/{_p(group)}/members")

    def get_group_policy(self, group: str) -> dict[str, Any]:
        return self._one("GET", f"/groups/{_p(group)}/policy")

    def set_group_policy(
        self,
        group: str,
        irreversible_pattern: str | None = None,
        default_timeout_seconds: int | None = None,
        irreversible_human_approvals: int | None = None,
        receipt_ttl_seconds: int | None = None,
        remind_after_seconds: int | None = None,
        escalate_after_seconds: int | None = None,
        clear: list[str] | None = None,
    ) -> dict[str, Any]:
        return self._one("PUT", f"/groups/{_p(group)}/policy", body=_fields(locals(), "group"))

    # -- proposals and events ------------------------------------------------------------------------------

    def create_proposal(
        self,
        group: str,
        title: str,
        description: str = "",
        voting_type: str | None = None,
        options: list[str] | None = None,
        threshold_type: str | None = None,
        threshold: float | str | None = None,
        quorum: float | str | None = None,
        min_votes: int | None = None,
        weighted: bool | None = None,
        weighted_denominator: str | None = None,
        deadline: str | None = None,
        deadline_hours: float | str | None = None,
        subject: str | None = None,
        allow_abstain: bool | None = None,
        prevent_self_vote: bool | None = None,
        on_no_consensus: list[str] | None = None,
        max_rounds: int | None = None,
        domain: str | None = None,
        critical: bool = False,
        preset: str | None = None,
        min_human_approvals: int | None = None,
        close_at_deadline: bool = False,
    ) -> dict[str, Any]:
        body = _clean(_fields(locals()))
        return self._one("POST", "/proposals", body=body)

    def cast_vote(
        self,
        proposal_id: str,
        vote: str | list[str],
        comment: str | None = None,
        confidence: float | str | None = None,
        evidence: list[str] | None = None,
    ) -> dict[str, Any]:
        body = _clean({"vote": vote, "comment": comment, "confidence": confidence, "evidence": evidence})
        return self._one("POST", f"/proposals/{_p(proposal_id)}/votes", body=body)

    def get_proposal(self, proposal_id: str, history: bool = False) -> dict[str, Any]:
        return self._one("GET", f"/proposals/{_p(proposal_id)}", params={"history": history})

    def list_proposals(
        self, group: str | None = None, status: str | None = None, limit: int = 100, awaiting_me: bool = False
    ) -> list[dict[str, Any]]:
        params = {"group": group, "status": status, "limit": limit, "awaiting": "me" if awaiting_me else None}
        return self._many("GET", "/proposals", params=params)

    def finalize_proposal(
        self, proposal_id: str, mitigation: str | None = None, force: bool = False, rationale: str | None = None
    ) -> dict[str, Any]:
        body = {"mitigation": mitigation, "force": force, "rationale": rationale}
        return self._one("POST", f"/proposals/{_p(proposal_id)}/finalize", body=body)

    def cancel_proposal(self, proposal_id: str) -> dict[str, Any]:
        return self._one("POST", f"/proposals/{_p(proposal_id)}/cancel")

    def wait_proposal(self, proposal_id: str, timeout: float = 30) -> dict[str, Any]:
        path = f"/proposals/{_p(proposal_id)}/wait"
        return self._one("GET", path, params={"timeout": timeout}, wait=timeout)

    def list_events(self, after: int = 0, wait: float = 0, limit: int = 100) -> list[dict[str, Any]]:
        params = {"after": after, "wait": wait, "limit": limit}
        return self._many("GET", "/events", params=params, wait=wait)

    def audit(
        self, ref: str | None = None, after: int = 0, limit: int = 100, latest: int | None = None
    ) -> list[dict[str, Any]]:
        params = {"ref": ref, "after": after, "limit": limit, "latest": latest}
        return self._many("GET", "/audit", params={k: v for k, v in params.items() if v is not None})

    # -- milestones ----------------------------------------------------------------------------------------

    def create_milestone(
        self,
        title: str,
        checkpoints: list[Any] | None = None,
        group: str | None = None,
        description: str = "",
        project_id: str | None = None,
    ) -> dict[str, Any]:
        items = [{"title": cp} if isinstance(cp, str) else cp for cp in checkpoints or []]
        body = {"title": title, "checkpoints": items, "group": group, "description": description}
        return self._one("POST", "/milestones", body=_clean({**body, "project_id": project_id}))

    def get_milestone(self, milestone_id: str) -> dict[str, Any]:
        return self._one("GET", f"/milestones/{_p(milestone_id)}")

    def list_milestones(
        self, group: str | None = None, project_id: str | None = None, status: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        params = {"group": group, "project_id": project_id, "status": status, "limit": limit}
        return self._many("GET", "/milestones", params=params)

    def complete_checkpoint(self, milestone_id: str, order: int) -> dict[str, Any]:
        return self._one("POST", f"/milestones/{_p(milestone_id)}/checkpoints/{int(order)}/complete")

    def update_checkpoint(
        self,
        milestone_id: str,
        order: int,
        title: str | None = None,
        description: str | None = None,
        git_branch_url: str | None = None,
        git_pr_url: str | None = None,
        git_commit_url: str | None = None,
        depends_on: list[int | str] | None = None,
    ) -> dict[str, Any]:
        body = {
            "title": title,
            "description": description,
            "git_branch_url": git_branch_url,
            "git_pr_url": git_pr_url,
            "git_commit_url": git_commit_url,
            "depends_on": depends_on,
        }
        return self._one("PATCH", f"/milestones/{_p(milestone_id)}/checkpoints/{int(order)}", body=_clean(body))

    def add_checkpoint(
        self,
        milestone_id: str,
        title: str,
        position: int | None = None,
        description: str = "",
        depends_on: list[int | str] | None = None,
        requires_consensus: bool | dict[str, Any] = False,
        git_branch_url: str | None = None,
        git_pr_url: str | None = None,
        git_commit_url: str | None = None,
        completion_gate: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        body = {
            "title": title,
            "position": position,
            "description": description,
            "depends_on": depends_on,
            "requires_consensus": requires_consensus,
            "git_branch_url": git_branch_url,
            "git_pr_url": git_pr_url,
            "git_commit_url": git_commit_url,
            "completion_gate": completion_gate,
        }
        return self._one("POST", f"/milestones/{_p(milestone_id)}/checkpoints", body=_clean(body))

    def delete_checkpoint(self, milestone_id: str, order: int) -> dict[str, Any]:
        return self._one("DELETE", f"/milestones/{_p(milestone_id)}/checkpoints/{int(order)}")

    def request_checkpoint_approval(self, milestone_id: str, order: int) -> dict[str, Any]:
        return self._one("POST", f"/milestones/{_p(milestone_id)}/checkpoints/{int(order)}/approval")

    def reopen_milestone(self, milestone_id: str) -> dict[str, Any]:
        return self._one("POST", f"/milestones/{_p(milestone_id)}/reopen")

    # -- gates ---------------------------------------------------------------------------------------------

    def gate_request(
        self, subject: str, payload: Any = None, group: str | None = None, timeout_seconds: float | None = None
    ) -> dict[str, Any]:
        body = {"subject": subject, "payload": payload, "group": group, "timeout_seconds": timeout_seconds}
        return self._one("POST", "/gates", body=body)

    def gate_vote(self, request_id: str, vote: str, comment: str | None = None) -> dict[str, Any]:
        body = {"vote": vote, "comment": comment}
        return self._one("POST", f"/gates/{_p(request_id)}/votes", body=body)

    def gate_tally(self, subject: str, group: str | None = None) -> dict[str, Any]:
        return self._one("GET", "/gates/tally", params={"subject": subject, "group": group})

    def gate_wait(self, subject: str, timeout: float = 300, group: str | None = None) -> dict[str, Any]:
        params = {"timeout": timeout, "group": group}
        return self._one("GET", f"/gates/{_p(subject)}/wait", params=params, wait=timeout)

    def gate_close(self, request_id: str) -> dict[str, Any]:
        return self._one("POST", f"/gates/{_p(request_id)}/close")

    def gate_list(
        self, status: str | None = None, group: str | None = None, awaiting_me: bool = False, limit: int = 100
    ) -> list[dict[str, Any]]:
        params = {"status": status, "group": group, "awaiting": "me" if awaiting_me else None, "limit": limit}
        return self._many("GET", "/gates", params=params)

    def gate_verify(self, request_id: str, payload: Any = None) -> dict[str, Any]:
        return self._one("POST", f"/gates/{_p(request_id)}/verify", body={"payload": payload})

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
        body = _fields(locals())
        return self._one("POST", "/messages", body=body)

    def check_inbox(
        self, since: str | None = None, unread_only: bool = False, limit: int = 100
    ) -> list[dict[str, Any]]:
        params = {"since": since, "unread_only": unread_only, "limit": limit}
        return self._many("GET", "/inbox", params=params)

    def recv_message(
        self, wait: float = 0, type: str | None = None, subject: str | None = None
    ) -> dict[str, Any] | None:
        body = {"wait": wait, "type": type, "subject": subject}
        return self._maybe("POST", "/inbox/recv", body=body, wait=wait)

    def peek_message(self, type: str | None = None, subject: str | None = None) -> dict[str, Any] | None:
        return self._maybe("GET", "/inbox/peek", params={"type": type, "subject": subject})

    def mark_message_read(self, message_id: str) -> dict[str, Any]:
        return self._one("POST", f"/messages/{_p(message_id)}/read")

    def claim_message(self, message_id: str, timeout_seconds: int = 300) -> dict[str, Any]:
        body = {"timeout_seconds": timeout_seconds}
        return self._one("POST", f"/messages/{_p(message_id)}/claim", body=body)

    def complete_message(self, message_id: str, response: str | None = None) -> dict[str, Any]:
        body = {"response": response}
        return self._one("POST", f"/messages/{_p(message_id)}/complete", body=body)

    def release_message(self, message_id: str) -> dict[str, Any]:
        return self._one("POST", f"/messages/{_p(message_id)}/release")

    # -- deliberation --------------------------------------------------------------------------------------

    def resolve_proposal(
        self, proposal_id: str, decision: str, rationale: str, mitigation: str | None = None
    ) -> dict[str, Any]:
        body = {"decision": decision, "rationale": rationale, "mitigation": mitigation}
        return self._one("POST", f"/proposals/{_p(proposal_id)}/resolve", body=body)

    def get_decision_record(self, proposal_id: str) -> dict[str, Any]:
        return self._one("GET", f"/proposals/{_p(proposal_id)}/record")

    def create_consultation(
        self, group: str, title: str, description: str = "", questions: dict[str, str] | None = None
    ) -> dict[str, Any]:
        body = {"group": group, "title": title, "description": description, "questions": questions}
        return self._one("POST", "/consultations", body=body)

    def submit_contribution(self, consultation_id: str, decisions: list[dict[str, Any]]) -> dict[str, Any]:
        body = {"decisions": decisions}
        return self._one("POST", f"/consultations/{_p(consultation_id)}/contributions", body=body)

    def get_consultation(self, consultation_id: str) -> dict[str, Any]:
        return self._one("GET", f"/consultations/{_p(consultation_id)}")

    def list_consultations(
        self, group: str | None = None, flagged: bool = False, limit: int = 100
    ) -> list[dict[str, Any]]:
        return self._many("GET", "/consultations", params={"group": group, "flagged": flagged, "limit": limit})

    def create_completion_gate(
        self,
        group: str,
        title: str,
        participants: list[str],
        min_completions: int = 2,
        window_seconds: int = 60,
        nudge_after_seconds: int = 30,
        fallback_timeout: int = 120,
    ) -> dict[str, Any]:
        body = {
            "group": group,
            "title": title,
            "participants": participants,
            "min_completions": min_completions,
            "window_seconds": window_seconds,
            "nudge_after_seconds": nudge_after_seconds,
            "fallback_timeout": fallback_timeout,
        }
        return self._one("POST", "/completion-gates", body=body)

    def signal_completion(self, gate_id: str, signal: str = "complete", note: str | None = None) -> dict[str, Any]:
        return self._one("POST", f"/completion-gates/{_p(gate_id)}/signals", body={"signal": signal, "note": note})

    def get_completion_gate(self, gate_id: str) -> dict[str, Any]:
        return self._one("GET", f"/completion-gates/{_p(gate_id)}")

    def list_completion_gates(
        self, group: str | None = None, status: str | None = None, awaiting_me: bool = False, limit: int = 100
    ) -> list[dict[str, Any]]:
        params = {"group": group, "status": status, "awaiting": "me" if awaiting_me else None, "limit": limit}
        return self._many("GET", "/completion-gates", params=params)

    def sweep(self) -> dict[str, Any]:
        return self._one("POST", "/sweep")

    # -- the verifiable record (SPEC §12) -------------------------------------------------------------------

    def audit_verify(self, pinned: str | None = None) -> dict[str, Any]:
        return self._one("GET", "/audit/verify", params={"pinned": pinned})

    def audit_head(self) -> dict[str, Any]:
        return self._one("GET", "/audit/head")

    def show_keys(self) -> dict[str, Any]:
        return self._one("GET", "/keys")

    def rotate_key(self) -> dict[str, Any]:
        return self._one("POST", "/keys/rotate")

    def jwks(self) -> dict[str, Any]:
        """The server's public keys as a JWK Set (/.well-known/jwks.json; no token needed): keep it to verify
        receipts offline."""
        try:
            response = self._http.get("/.well-known/jwks.json", timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise UnavailableError(f"the server at {self.url} is unavailable: {exc}") from None
        if response.status_code >= 400:
            raise error_from(response)
        return cast(dict[str, Any], response.json())

    def verify_receipt(
        self, receipt: str, payload: Any = receipts.NOT_GIVEN, jwks: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Check a decision receipt here, not on the server: against `jwks` (a JWK Set you trust), else the
        server's /.well-known/jwks.json. Returns {valid, reason, claims} as `Api.verify_receipt`; `reason`
        names the failed check ("bad signature", "unknown key", "expired at <instant>", "outcome <o>",
        "payload differs", "payload not given"). For a gate pass `payload`, the JSON about to be acted on."""
        keys = jwks if jwks is not None else self.jwks()
        return receipts.verify(receipt, keys, now=SystemClock().now(), payload=payload).as_dict()

    def redeem_receipt(self, jti: str) -> dict[str, Any]:
        """Mark an approved gate's receipt used: the first call returns {jti, redeemed_at, ...}; later calls
        raise ConflictError "receipt <jti> was redeemed at <instant>" (act only after a successful redeem)."""
        return self._one("POST", f"/receipts/{_p(jti)}/redeem")

    # -- reaching people (SPEC §11) ------------------------------------------------------------------------

    def add_channel(self, member: str, url: str, events: Sequence[str] | None = None) -> dict[str, Any]:
        body = {"url": url, "events": None if events is None else list(events)}
        return self._one("POST", f"/members/{_p(member)}/channels", body=body)

    def list_channels(self, member: str) -> dict[str, Any]:
        return self._one("GET", f"/members/{_p(member)}/channels")

    def remove_channel(self, member: str, channel_id: str) -> dict[str, Any]:
        return self._one("DELETE", f"/members/{_p(member)}/channels/{_p(channel_id)}")

    def set_time_zone(self, member: str, time_zone: str | None) -> dict[str, Any]:
        return self._one("PUT", f"/members/{_p(member)}/time-zone", body={"time_zone": time_zone})

    # -- group webhooks (SPEC §11) -------------------------------------------------------------------------

    def add_webhook(self, group: str, url: str, events: list[str] | None = None) -> dict[str, Any]:
        return self._one("POST", f"/groups/{_p(group)}/webhooks", body=_clean({"url": url, "events": events}))

    def list_webhooks(self, group: str) -> list[dict[str, Any]]:
        return self._many("GET", f"/groups/{_p(group)}/webhooks")

    def remove_webhook(self, webhook_id: str, group: str | None = None) -> dict[str, Any]:
        if group is not None:
            return self._one("DELETE", f"/groups/{_p(group)}/webhooks/{_p(webhook_id)}")
        return self._one("DELETE", f"/webhooks/{_p(webhook_id)}")

    def list_deliveries(
        self, webhook_id: str, status: str | None = None, limit: int = 50, group: str | None = None
    ) -> list[dict[str, Any]]:
        params = {"status": status, "limit": limit}
        if group is not None:
            return self._many("GET", f"/groups/{_p(group)}/webhooks/{_p(webhook_id)}/deliveries", params=params)
        return self._many("GET", f"/webhooks/{_p(webhook_id)}/deliveries", params=params)

    def redeliver(self, delivery_id: str, group: str | None = None, webhook_id: str | None = None) -> dict[str, Any]:
        if group is not None and webhook_id is not None:
            path = f"/groups/{_p(group)}/webhooks/{_p(webhook_id)}/deliveries/{_p(delivery_id)}/redeliver"
            return self._one("POST", path)
        return self._one("POST", f"/deliveries/{_p(delivery_id)}/redeliver")

    # -- seed 002's patterns -------------------------------------------------------------------------------

    def wait_for_consensus(self, subject: str, timeout: float, group: str | None = None) -> dict[str, Any]:
        """Block until the gate on `subject` (or a request id) is decided; fail-closed.

        Returns {"status": "approved" | "rejected" | "vetoed", "reason", "request_id", "gate", "receipt"}: a
        gate still pending when `timeout` ends is `rejected` with reason "timeout" (never approval); an expired
        gate is `rejected` with reason "expired"; a rejected vote is `rejected` with reason "rejected"; a subject
        with no open request (its latest closed) is `rejected` with reason "no_open_request" (SPEC §5 rev. 2).
        Approved means actionable only for the gate's requester (`gate["actionable"]`). `receipt` is the gate's
        signed receipt (SPEC §12) once it is closed and you requested it (else None): hand it to the executor,
        which checks it with `verify_receipt` and acts after `redeem_receipt`."""
        end = time.monotonic() + max(0.0, float(timeout))
        while True:
            remaining = max(0.0, end - time.monotonic())
            gate = self.gate_wait(subject, min(remaining, MAX_SERVER_WAIT), group)
            if not gate.get("timed_out") or end - time.monotonic() <= 0:
                break
            subject = gate["request_id"]  # keep waiting on the same request, not a newer one on the subject
        status = gate["status"]
        if status == "none_open":
            latest = gate.get("latest") or {}
            return {
                "status": "rejected",
                "reason": "no_open_request",
                "request_id": latest.get("request_id"),
                "detail": gate["reason"],
                "gate": gate,
            }
        if gate.get("timed_out") or status == "pending":
            outcome, reason = "rejected", "timeout"
        elif status in ("approved", "vetoed"):
            outcome, reason = status, status
        else:
            outcome, reason = "rejected", status  # "rejected" or "expired"
        return {
            "status": outcome,
            "reason": reason,
            "request_id": gate["request_id"],
            "detail": gate["reason"],
            "gate": gate,
            "receipt": gate.get("receipt"),
        }

    def fan_out(
        self, subject: str, agents: list[str], payload: Any, timeout: float, group: str | None = None
    ) -> dict[str, Any]:
        """Dispatch one task to several agents and collect their answers, like Promise.allSettled.

        Opens a gate request on `subject` (one fan-out per subject at a time), sends each agent a TASK whose
        payload is {"request_id", "payload"}, then collects the RESPONSE messages on `subject` whose
        payload.request_id is the request's (agents answer with send_message(..., type="RESPONSE",
        payload={"request_id": ...}) or by completing the task). One agent failing never aborts the others.
        The request is closed at the end whatever happens, so the subject is free again.

        Returns {"request_id", "succeeded": [{"agent", "result", "message_id"}], "failed": ["<agent> timeout"
        or "<agent>: <why the task could not be sent>"], "quorum": more than half of the agents answered}.
        RESPONSE messages on `subject` for other requests are consumed and dropped."""
        if group is None:
            mine = self.whoami().get("groups") or []
            group = mine[0] if len(mine) == 1 else None
        request = self.gate_request(subject, payload, group, max(1, math.ceil(timeout)))
        request_id = request["request_id"]
        group = request["group"]
        succeeded: list[dict[str, Any]] = []
        failed: list[str] = []
        waiting: list[str] = []
        try:
            for agent in dict.fromkeys(agents):
                try:
                    self.send_message(
                        agent,
                        f"task {subject!r} for request {request_id}",
                        group,
                        "TASK",
                        subject,
                        {"request_id": request_id, "payload": payload},
                        max(1, math.ceil(timeout)),
                    )
                    waiting.append(agent)
                except AccordError as exc:
                    failed.append(f"{agent}: {exc.message}")
            end = time.monotonic() + timeout
            while waiting and (remaining := end - time.monotonic()) > 0:
                message = self.recv_message(min(remaining, MAX_SERVER_WAIT), "RESPONSE", subject)
                if message is None:
                    continue
                body = message.get("payload")
                if isinstance(body, dict) and body.get("request_id") == request_id and message["from"] in waiting:
                    waiting.remove(message["from"])
                    succeeded.append({"agent": message["from"], "result": body, "message_id": message["id"]})
            failed.extend(f"{agent} timeout" for agent in waiting)
        finally:
            try:
                self.gate_close(request_id)  # release the subject even on failure (seed: finally)
            except AccordError:
                pass
        return {
            "request_id": request_id,
            "succeeded": succeeded,
            "failed": failed,
            "quorum": 2 * len(succeeded) > len(list(dict.fromkeys(agents))),
        }

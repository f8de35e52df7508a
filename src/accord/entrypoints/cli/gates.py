"""`accord gate ...` and `accord inbox ...`: gates for scripts (exit codes of SPEC §5) and the agent inbox."""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated, Any, NoReturn

import typer

from accord.domain.errors import AccordError, ValidationError
from accord.entrypoints.cli.common import (
    APPROVED,
    PENDING,
    REJECTED,
    VETOED,
    JsonFlag,
    backend,
    call,
    emit,
    err,
    handled,
    new_app,
    out,
    release,
    show_table,
)

gate_app = new_app(
    "Gates: ask before an action, vote, wait. Exit codes: 0 approved, 1 rejected/expired, 2 vetoed, 3 pending."
)
inbox_app = new_app("The agent inbox: send, receive (exactly once), peek, list; claim and complete tasks.")

STATUS_EXIT = {
    "approved": APPROVED,
    "rejected": REJECTED,
    "expired": REJECTED,
    "vetoed": VETOED,
    "pending": PENDING,
    "none_open": REJECTED,  # by subject, only an open request counts (SPEC §5 rev. 2)
}
GroupOpt = Annotated[str | None, typer.Option(help="The group (needed when you are in several).")]


def register(app: typer.Typer) -> None:
    """Add `gate` and `inbox` to `app`."""
    app.add_typer(gate_app, name="gate")
    app.add_typer(inbox_app, name="inbox")


def parse_json(text: str | None, name: str) -> Any:
    """JSON from the command line, or a ValidationError (exit 65) saying where it broke."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"{name} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None


def leave(api: Any, code: int) -> NoReturn:
    """Exit at once after a blocking wait: the script waiting on us is released as soon as the answer is out,
    not after the interpreter's teardown of every loaded module (~0.2 s). Output is flushed and the store's
    pooled connections are closed first; in-process callers (CliRunner) get an ordinary exit."""
    release(api)
    if sys.stdout is not sys.__stdout__ or sys.stderr is not sys.__stderr__:
        raise typer.Exit(code)
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()
    os._exit(code)


def gate_exit(view: dict[str, Any]) -> int:
    return STATUS_EXIT.get(view["status"], REJECTED)


def show_gate(g: dict[str, Any]) -> None:
    if g["status"] == "none_open":
        out.print(g["reason"], markup=False)
        return
    out.print(f"{g['id']}  {g['subject']}: {g['status']}{' (closed)' if g['closed'] else ''}", markup=False)
    out.print(g["reason"], markup=False)
    humans = g.get("human_approvals") or {}
    if humans.get("required"):
        out.print(f"human approvals: {humans['text']}", markup=False)
    if g["votes"]:
        parts = [f"{v['voter']} {v['vote']}" + ("" if v["counted"] else " (advisory, not counted)") for v in g["votes"]]
        out.print("votes: " + ", ".join(parts), markup=False)
    if g["awaiting"] and not g["closed"]:
        out.print("awaiting: " + ", ".join(g["awaiting"]), markup=False)
    out.print(f"payload digest: {g.get('payload_digest')}", markup=False)
    if g["status"] == "approved" and not g.get("actionable"):
        requester = g["requester"]
        why = "it is not closed yet" if not g["closed"] else "you did not request it"
        out.print(f"not actionable for you: {why} (only {requester}'s close or wait acts on it)", markup=False)


# -- gates -------------------------------------------------------------------------------------------------


@gate_app.command("request")
def gate_request(
    subject: Annotated[str, typer.Argument(help="The action guarded, e.g. deploy or commit-gate.")],
    payload: Annotated[str | None, typer.Argument(help="JSON describing the action (at most 16 KiB).")] = None,
    group: GroupOpt = None,
    timeout: Annotated[
        float | None, typer.Option(help="Seconds until the gate expires (= rejected); default the group's.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Open a gate on SUBJECT and print its request id. Exits 75 while the subject has an open request."""
    with handled():
        data = parse_json(payload, "payload")
    result = call(lambda api: api.gate_request(subject, data, group, timeout))
    emit(result, as_json, lambda r: out.print(r["id"], markup=False))


@gate_app.command("vote")
def gate_vote(
    request_id: str,
    vote: Annotated[str, typer.Argument(help="yes, no or abstain.")],
    comment: Annotated[str | None, typer.Option(help="Your reason (shown with a veto).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Vote on a gate. A veto holder's no vetoes it; only that holder lifts it, by voting again."""
    result = call(lambda api: api.gate_vote(request_id, vote, comment))

    def human(r: dict[str, Any]) -> None:
        verb = "replaced" if r["replaced"] else "recorded"
        out.print(f"{verb}: {r['vote']} (gate {r['gate']['status']})", markup=False)

    emit(result, as_json, human)


@gate_app.command("tally")
def gate_tally(
    subject: Annotated[str, typer.Argument(help="A request id, or a subject (only its open request counts).")],
    group: GroupOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Show a gate's status. Exit 0 approved, 1 rejected or expired (or, by subject, no open request), 2
    vetoed, 3 pending, 66 a subject never requested."""
    result = call(lambda api: api.gate_tally(subject, group))
    emit(result, as_json, show_gate)
    raise typer.Exit(gate_exit(result))


@gate_app.command("wait")
def gate_wait(
    subject: Annotated[str, typer.Argument(help="A request id, or a subject (its open request).")],
    timeout: Annotated[float, typer.Option(help="Seconds to wait (at most 3600).")] = 300,
    group: GroupOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Block until the gate is approved (closing it, if you requested it), vetoed, rejected or expired.
    Exit 0 approved, 1 rejected or expired (or, by subject, no open request: request again to act again), 2
    vetoed, 3 still pending at --timeout: any non-zero exit means do not proceed. Only the requester's wait
    closes the gate and is actionable."""
    with handled():
        api = backend()
        if sys.stderr.isatty():  # a person is watching: say what we wait for (scripts get only the answer)
            announce_wait(api, subject, timeout, group)
        result = api.gate_wait(subject, timeout, group)
    emit(result, as_json, show_gate)
    if result.get("timed_out"):
        err.print(f"still pending after {timeout:g}s: do not proceed", markup=False)
    leave(api, gate_exit(result))


@gate_app.command("verify")
def gate_verify(
    request_id: str,
    payload: Annotated[str | None, typer.Argument(help="The JSON you are about to act on.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Check that the gate was closed as approved for exactly PAYLOAD_JSON (its RFC 8785 SHA-256 digest). Exit 0
    when it was, 1 when not (not approved, or approved for another payload)."""
    with handled():
        data = parse_json(payload, "payload")
    result = call(lambda api: api.gate_verify(request_id, data))
    emit(result, as_json, lambda r: out.print(r["reason"], markup=False))
    raise typer.Exit(APPROVED if result["verified"] else REJECTED)


def announce_wait(api: Any, subject: str, timeout: float, group: str | None) -> None:
    """One line on stderr: which request, what ends the wait, who is awaited, how long at most."""
    try:
        g = api.gate_tally(subject, group)
    except AccordError:  # the wait itself reports the refusal
        err.print(f"waiting up to {timeout:g}s for the gate on {subject!r}...", markup=False)
        return
    if g.get("closed"):
        return
    awaiting = f"; awaiting {', '.join(g['awaiting'])}" if g.get("awaiting") else ""
    err.print(
        f"waiting up to {timeout:g}s for {g['id']} ({g['subject']} in {g['group']}) to be approved, vetoed or "
        f"rejected: now {g['status']}, {g['ballots']} of {g['eligible']} gate voters have voted{awaiting} "
        "(Ctrl-C stops waiting; the request stays open)",
        markup=False,
    )


@gate_app.command("close")
def gate_close(request_id: str, as_json: JsonFlag = False) -> None:
    """Close your own request: freeze its result (approved, vetoed, else rejected) and release the subject."""
    result = call(lambda api: api.gate_close(request_id))
    emit(result, as_json, lambda r: out.print(f"{r['id']} closed: {r['status']}", markup=False))


@gate_app.command("list")
def gate_list(
    status: Annotated[str | None, typer.Option(help="open (still taking votes) or closed.")] = None,
    group: Annotated[str | None, typer.Option(help="Only this group.")] = None,
    awaiting_me: Annotated[
        bool, typer.Option("--awaiting-me", help="Only open gates waiting for your vote, soonest timeout first.")
    ] = False,
    limit: Annotated[int, typer.Option(help="At most this many (1-500).")] = 100,
    as_json: JsonFlag = False,
) -> None:
    """Gates of your groups: open ones soonest timeout first, closed ones newest first (--json adds each
    gate's payload, reason, count and timeout_at)."""
    rows = call(lambda api: api.gate_list(status, group, awaiting_me, limit))

    def human(gates: list[dict[str, Any]]) -> None:
        shown = [
            {
                **g,
                "subject": f"{g['subject']} ({g['group']}, by {g['requester']})",
                "voted": f"{g['ballots']} of {g['eligible']}",
                "you": "to vote" if g["awaiting_me"] else ("voted" if g["voted"] else ""),
            }
            for g in gates
        ]
        show_table(shown, ["id", "subject", "status", "voted", "you"])

    emit(rows, as_json, human)


# -- inbox -------------------------------------------------------------------------------------------------


def show_message(m: dict[str, Any] | None) -> None:
    if m is None:
        return
    subject = f" [{m['subject']}]" if m["subject"] else ""
    status = f" ({m['status']}{' by ' + m['claimed_by'] if m['claimed_by'] else ''})" if m["status"] else ""
    out.print(f"{m['id']}  {m['type']} from {m['from']}{subject}{status}", markup=False)
    if m["content"]:
        out.print(m["content"], markup=False)
    if m["payload"] is not None:
        out.print(json.dumps(m["payload"]), markup=False)


TypeOpt = Annotated[str | None, typer.Option("--type", help="Only messages of this type.")]
SubjectOpt = Annotated[str | None, typer.Option(help="Only messages with this subject.")]


@inbox_app.command("send")
def inbox_send(
    to: Annotated[str, typer.Argument(help="A member of the group, or '*' for all of them but you.")],
    content: Annotated[str, typer.Argument(help="The text (at most 4096 characters).")],
    group: Annotated[str, typer.Option(help="The group.")],
    type: Annotated[
        str, typer.Option("--type", help="REQUEST, RESPONSE, NOTICE, TASK, BROADCAST or HEARTBEAT.")
    ] = "NOTICE",
    subject: Annotated[str | None, typer.Option(help="What it is about.")] = None,
    payload: Annotated[str | None, typer.Option(help="JSON (at most 16 KiB).")] = None,
    ttl: Annotated[int | None, typer.Option(help="Seconds until it expires (never delivered after).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Send a message; prints its id."""
    with handled():
        data = parse_json(payload, "payload")
    result = call(lambda api: api.send_message(to, content, group, type, subject, data, ttl))
    emit(result, as_json, lambda r: out.print(r["id"], markup=False))


@inbox_app.command("recv")
def inbox_recv(
    wait: Annotated[float, typer.Option(help="Seconds to wait for a message (at most 3600).")] = 0,
    type: TypeOpt = None,
    subject: SubjectOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Receive (consume) your oldest unread message. Nothing pending: prints nothing (null with --json), exit 0."""
    with handled():
        api = backend()
        message = api.recv_message(wait, type, subject)
    emit(message, as_json, show_message)
    leave(api, 0)


@inbox_app.command("peek")
def inbox_peek(type: TypeOpt = None, subject: SubjectOpt = None, as_json: JsonFlag = False) -> None:
    """Show the message recv would return next, without consuming it (nothing, or null with --json)."""
    emit(call(lambda api: api.peek_message(type, subject)), as_json, show_message)


@inbox_app.command("list")
def inbox_list(
    unread: Annotated[bool, typer.Option("--unread/--all", help="Only messages not received yet, or all.")] = False,
    since: Annotated[str | None, typer.Option(help="Only messages after this ISO-8601 instant.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many (1-100).")] = 100,
    as_json: JsonFlag = False,
) -> None:
    """Your messages, newest first; nothing is consumed."""
    rows = call(lambda api: api.check_inbox(since, unread, limit))
    emit(rows, as_json, lambda r: show_table(r, ["id", "type", "from", "subject", "content", "read", "status"]))


@inbox_app.command("mark-read")
def inbox_mark_read(message_id: str, as_json: JsonFlag = False) -> None:
    """Mark one of your messages read without receiving it (recv then skips it)."""
    result = call(lambda api: api.mark_message_read(message_id))
    emit(result, as_json, lambda r: out.print(f"{r['id']} {'was already' if r['already_read'] else 'marked'} read"))


@inbox_app.command("claim")
def inbox_claim(
    message_id: str,
    timeout: Annotated[int, typer.Option(help="Seconds the claim lasts (default 300).")] = 300,
    as_json: JsonFlag = False,
) -> None:
    """Claim a TASK so no one else works on it. Exits 75 when someone else holds it."""
    result = call(lambda api: api.claim_message(message_id, timeout))
    emit(result, as_json, lambda r: out.print(f"{r['id']} claimed until {r['claim_expires_at']}", markup=False))


@inbox_app.command("complete")
def inbox_complete(
    message_id: str,
    response: Annotated[str | None, typer.Option(help="Your result; the sender receives it as a RESPONSE.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Complete a TASK you have claimed."""
    result = call(lambda api: api.complete_message(message_id, response))
    emit(result, as_json, lambda r: out.print(f"{r['id']} completed", markup=False))


@inbox_app.command("release")
def inbox_release(message_id: str, as_json: JsonFlag = False) -> None:
    """Give back a TASK you have claimed; it returns to pending."""
    result = call(lambda api: api.release_message(message_id))
    emit(result, as_json, lambda r: out.print(f"{r['id']} released", markup=False))

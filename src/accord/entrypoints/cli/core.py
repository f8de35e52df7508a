"""CLI commands for the store, members, groups, proposals and events."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import sys
from typing import Annotated, Any

import anyio
import typer
from rich.text import Text

from accord.domain.errors import AccordError
from accord.domain.summary import VOTING_TYPE_WORDS
from accord.entrypoints.cli.common import (
    NOT_PERMITTED,
    PENDING,
    JsonFlag,
    call,
    emit,
    err,
    handled,
    new_app,
    out,
    show_fields,
    show_table,
    split_list,
)
from accord.entrypoints.cli.present import number, percent, text
from accord.settings import Settings

member_app = new_app("Members and their tokens.")
group_app = new_app("Groups, their members and voting settings.")
proposal_app = new_app("Proposals: open, vote, show, list, finalize, cancel, wait.")


def init(as_json: JsonFlag = False) -> None:
    """Create the store (ACCORD_DATABASE_URL) and the `admin` member; prints admin's token once."""
    from accord.bootstrap import build_services

    with handled():
        services = build_services(Settings().database_url)
        result = services.identity.init_store()
    if as_json:
        emit(result, True)
        return
    out.print("Store initialised. The admin token (shown only now; keep it safe):")
    out.print(result["token"], markup=False)
    out.print("Use it with: export ACCORD_TOKEN=<token>")


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Run the HTTP server: REST under /v1, MCP at /mcp, the web page at /."""
    import uvicorn

    from accord.bootstrap import build_services, upgrade_store
    from accord.entrypoints.rest import create_app

    with handled():
        services = build_services(Settings().database_url, existing=True)
        upgrade_store(services)
    # Move everything imported so far out of the collector's reach: full collections over it paused
    # the server ~100 ms every few thousand requests (p99 150-260 ms -> ~50 ms at 64 connections).
    app = create_app(services)
    gc.collect()
    gc.freeze()
    uvicorn.run(app, host=host, port=port, log_level="info")


def mcp(
    print_config: Annotated[
        bool,
        typer.Option(
            "--print-config",
            help="Print a ready-to-paste MCP client configuration (JSON, mcpServers) with absolute paths, and exit.",
        ),
    ] = False,
) -> None:
    """Serve MCP over stdio, acting as the member of ACCORD_TOKEN on ACCORD_DATABASE_URL.

    With no store there, or a bad token, it says why on stderr and exits (69, 77) before serving; once serving, it
    exits 77 within a second of its token's revocation or expiry instant. --print-config
    prints the configuration an MCP client (Claude Desktop, Cursor, ...) needs to start this server from any
    directory: the absolute `accord` executable and database URL, and ACCORD_TOKEN (or a placeholder); with
    ACCORD_URL set, the server's streamable HTTP endpoint instead."""
    from accord.bootstrap import build_services, check_store, show_url
    from accord.entrypoints.cli.mcp_config import client_config

    settings = Settings()
    if print_config:
        sys.stdout.write(json.dumps(client_config(settings), indent=2) + "\n")
        if not settings.url:
            with contextlib.suppress(AccordError):  # only a note: the configuration is right once the store is
                check_store(settings.database_url)
                return
            err.print(
                f"note: no Accord store at {show_url(settings.database_url)} yet: run `accord init` first",
                markup=False,
            )
        return
    from accord.entrypoints.mcp import build_mcp

    with handled():
        services = build_services(settings.database_url, existing=True)
        member = services.identity.authenticate(settings.token)
    server = build_mcp(services, token=settings.token)

    async def serve() -> None:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(_exit_when_token_ends, services, member)
            await server.run_stdio_async()
            tasks.cancel_scope.cancel()

    anyio.run(serve)


async def _exit_when_token_ends(services: Any, member: Any) -> None:
    """SPEC §8 rev. 2: a stdio `accord mcp` whose token is revoked or expires exits 77 within a second."""
    from accord.services import holding

    ended = await holding.until_ended(services.ctx, member)
    err.print(f"error: {ended.message}", markup=False)
    sys.stdout.flush()
    sys.stderr.flush()
    # Not a cancellation: the stdio transport's stdin reader is a thread blocked in readline, which no
    # cancellation reaches; the client sees the process end with the documented code at once.
    os._exit(NOT_PERMITTED)


def audit(
    ref: Annotated[str | None, typer.Option(help="Only events about this (a proposal id, group:NAME, ...).")] = None,
    after: Annotated[int, typer.Option(help="Only events after this id.")] = 0,
    limit: Annotated[int, typer.Option(help="At most this many (1-500).")] = 100,
    latest: Annotated[
        int | None, typer.Option(help="Only the newest N events (1-500), oldest first, like `tail`.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """The audit log, oldest first: who did what, when (the first --limit events after --after, or the newest
    --latest N)."""
    rows = call(lambda api: api.audit(ref, after, limit, latest))
    emit(rows, as_json, lambda r: show_table(r, ["id", "at", "type", "actor", "group", "ref"]))


def events(
    after: Annotated[int, typer.Option(help="Only events after this id.")] = 0,
    wait: Annotated[float, typer.Option(help="Seconds to wait for the next events when there are none.")] = 0,
    limit: Annotated[int, typer.Option(help="At most this many (1-500).")] = 100,
    as_json: JsonFlag = False,
) -> None:
    """Events after an id; with --wait, block until some arrive."""
    rows = call(lambda api: api.list_events(after, wait, limit))
    emit(rows, as_json, lambda r: show_table(r, ["id", "at", "type", "actor", "group", "ref"]))


# -- members -----------------------------------------------------------------------------------------------


@member_app.command("add")
def member_add(
    name: Annotated[str, typer.Argument(help="Slug name: a-z, 0-9, '.', '_', '-'.")],
    kind: Annotated[str, typer.Option(help="agent or human.")] = "agent",
    admin: Annotated[bool, typer.Option("--admin", help="Make a store administrator.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Create a member (store administrators only) and print its token, shown only this once."""
    result = call(lambda api: api.create_member(name, kind, admin))
    emit(result, as_json, lambda r: out.print(r["token"], markup=False))


@member_app.command("list")
def member_list(as_json: JsonFlag = False) -> None:
    """Members you can see (every member for an administrator)."""
    emit(call(lambda api: api.list_all_members()), as_json)


@member_app.command("token")
def member_token(
    name: str,
    label: Annotated[
        str | None, typer.Option(help="What the token is for, e.g. 'ci' (at most 200 characters).")
    ] = None,
    expires_in: Annotated[
        str | None, typer.Option(help="Lifetime: 90s, 15m, 12h, 30d, 2w (at most 365 days). Default: never.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Issue another token for a member (itself or an administrator); the secret is printed only this once,
    its id (tok_…) and expiry on stderr."""
    result = call(lambda api: api.issue_token(name, label, expires_in))

    def human(r: dict[str, Any]) -> None:
        out.print(r["token"], markup=False)
        until = f", expires {r['expires_at']}" if r.get("expires_at") else ""
        err.print(f"{r['id']} for {r['name']}{until}", markup=False)

    emit(result, as_json, human)


@member_app.command("tokens")
def member_tokens(name: str, as_json: JsonFlag = False) -> None:
    """A member's tokens (itself or an administrator): id, label, status, last used (to the minute) and
    expiry; --json adds created_at and revoked_at. Never the secret."""
    rows = call(lambda api: api.list_tokens(name))
    columns = ["id", "label", "status", "last_used_at", "expires_at"]  # what fits 80 columns whole
    emit(rows, as_json, lambda r: show_table(r, columns))


@member_app.command("revoke")
def member_revoke(
    name: str,
    token: Annotated[str | None, typer.Option("--token", help="Revoke only this token (tok_…); default: all.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Revoke one token of a member (--token tok_…) or all of them; whatever they hold open ends within a
    second (waits, event streams, MCP sessions, web sessions)."""
    result = call(lambda api: api.revoke_token(name, token))

    def human(r: dict[str, Any]) -> None:
        ids = ", ".join(r["tokens"])
        out.print(f"revoked {r['revoked']} token(s) of {r['name']}" + (f": {ids}" if ids else ""), markup=False)

    emit(result, as_json, human)


@member_app.command("whoami")
def member_whoami(as_json: JsonFlag = False) -> None:
    """Who ACCORD_TOKEN belongs to."""
    emit(call(lambda api: api.whoami()), as_json)


# -- groups ------------------------------------------------------------------------------------------------


@group_app.command("create")
def group_create(
    name: str,
    description: Annotated[str, typer.Option(help="What the group is for.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Create a group; if you are not a store administrator you join it as owner."""
    emit(call(lambda api: api.create_group(name, description)), as_json)


@group_app.command("add-member")
def group_add_member(
    group: str,
    member: str,
    role: Annotated[str, typer.Option(help="owner, admin or member.")] = "member",
    weight: Annotated[str, typer.Option(help="Vote weight, > 0.")] = "1",
    advisory: Annotated[bool, typer.Option("--advisory/--no-advisory", help="Votes are shown, never counted.")] = False,
    veto: Annotated[bool, typer.Option("--veto/--no-veto", help="A 'no' vetoes yes/no proposals.")] = False,
    expertise: Annotated[list[str] | None, typer.Option(help="Expertise tags (repeat or comma-separate).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Add a member to a group, or update its role and voting settings."""
    tags = split_list(expertise)
    emit(call(lambda api: api.add_group_member(group, member, role, weight, advisory, veto, tags)), as_json)


@group_app.command("remove-member")
def group_remove_member(group: str, member: str, as_json: JsonFlag = False) -> None:
    """Remove a member from a group; it loses access at once."""
    emit(call(lambda api: api.remove_group_member(group, member)), as_json)


@group_app.command("list")
def group_list(as_json: JsonFlag = False) -> None:
    """Your groups and your role in each."""
    emit(call(lambda api: api.list_groups()), as_json)


@group_app.command("members")
def group_members(group: str, as_json: JsonFlag = False) -> None:
    """A group's members with their roles and voting settings."""
    emit(call(lambda api: api.list_members(group)), as_json)


@group_app.command("policy")
def group_policy(
    group: str,
    irreversible_pattern: Annotated[
        str | None, typer.Option(help="Regex of irreversible subjects (case-insensitive).")
    ] = None,
    default_timeout: Annotated[int | None, typer.Option(help="Default gate timeout, seconds (1 s - 31 days).")] = None,
    irreversible_human_approvals: Annotated[
        int | None, typer.Option(help="Human yes ballots every irreversible gate needs (0 = none).")
    ] = None,
    receipt_ttl: Annotated[int | None, typer.Option(help="Lifetime of a gate's receipt, seconds.")] = None,
    remind_after: Annotated[
        int | None, typer.Option(help="Remind voters without a ballot after this many seconds.")
    ] = None,
    escalate_after: Annotated[
        int | None, typer.Option(help="Escalate an undecided proposal to human owners/admins after this many seconds.")
    ] = None,
    clear: Annotated[
        list[str] | None, typer.Option(help="Switch off remind_after_seconds or escalate_after_seconds (repeatable).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Show the group's policy, or change the given fields (SPEC §5, §11, §12; owners/admins)."""
    changes = (irreversible_pattern, default_timeout, irreversible_human_approvals, receipt_ttl, remind_after)
    if all(v is None for v in (*changes, escalate_after)) and not clear:
        emit(call(lambda api: api.get_group_policy(group)), as_json)
        return
    emit(
        call(
            lambda api: api.set_group_policy(
                group,
                irreversible_pattern=irreversible_pattern,
                default_timeout_seconds=default_timeout,
                irreversible_human_approvals=irreversible_human_approvals,
                receipt_ttl_seconds=receipt_ttl,
                remind_after_seconds=remind_after,
                escalate_after_seconds=escalate_after,
                clear=clear,
            )
        ),
        as_json,
    )


# -- proposals ---------------------------------------------------------------------------------------------


def show_proposal(p: dict[str, Any]) -> None:
    """A proposal for a person: its state in one sentence first (a standing veto says who and why, not the
    counts), then the rules, the tally, participation, every instant-runoff round, and every vote."""
    out.print(Text.assemble((p["id"], "bold"), "  ", p["title"]))
    out.print(p["summary"], markup=False)
    facts = [f"group {p['group']}", VOTING_TYPE_WORDS.get(p["voting_type"], p["voting_type"])]
    facts.append(f"{p['threshold_type']} ({p['threshold']})")
    facts.append(p["status"] + (f", round {p['round']}" if p["round"] > 1 else ""))
    out.print(" · ".join(facts), markup=False)
    show_fields(p, ["subject", "deadline"])
    decided_by_count = p.get("outcome") != "vetoed" and (p["status"] != "open" or p["votes"])
    if decided_by_count and p["voting_type"] != "verdict":
        show_fields({k: p.get(k) for k in ("result", "threshold_met", "tied")})
    if p["votes"] or p["status"] != "open":
        rows = [
            {
                "option": o,
                "first choices" if p["voting_type"] == "ranked" else "votes": p["tally"].get(o, 0),
                "share": percent(p["shares"].get(o, 0)),
                **({"support": p.get("support", {}).get(o, 0)} if p["weighted"] else {}),
            }
            for o in p["options"]
        ]
        show_table(rows)
    taking_part = f"{p['ballots']} of {p['eligible']} counted voters have voted ({percent(p['participation'])})"
    out.print("participation: " + taking_part, markup=False)
    if p.get("rounds"):
        show_rounds(p["options"], p["rounds"])
    humans = p.get("human_approvals")
    if humans:
        out.print(f"human approvals: {humans['text']}", markup=False)
    if p.get("resolution") and p["resolution"].get("method") == "forced":
        r = p["resolution"]
        out.print(f"forced by {r.get('by')}: {r.get('rationale')}", markup=False)
    if p.get("provisional") and p["status"] == "open" and p["votes"]:
        out.print("(provisional: the figures as if finalized now)")
    if p.get("finalize"):
        out.print(f"finalize: {p['finalize']['text']}", markup=False)
    if p.get("votes"):
        show_table(p["votes"], ["voter", "vote", "confidence", "comment"])


def show_rounds(options: list[str], rounds: list[dict[str, Any]]) -> None:
    """Every instant-runoff round: each option's count, who was eliminated, how many ballots were exhausted."""
    out.print("instant runoff, round by round:")
    out_of_count: set[str] = set()
    for n, r in enumerate(rounds, 1):
        counts = ", ".join(f"{o} {number(v)}" for o, v in r["counts"].items() if o in options and o not in out_of_count)
        out_of_count.add(r.get("eliminated") or "")
        line = f"  round {n}: {counts or 'no continuing ballots'}"
        if r.get("eliminated"):
            line += f"; eliminated {r['eliminated']}"
        if r.get("exhausted"):
            line += f"; {number(r['exhausted'])} exhausted"
        out.print(line, markup=False)


@proposal_app.command("create")
def proposal_create(
    group: Annotated[str, typer.Option(help="The voting group.")],
    title: Annotated[str, typer.Option(help="The question (at most 200 characters).")],
    description: Annotated[str, typer.Option(help="Context for voters.")] = "",
    voting_type: Annotated[str | None, typer.Option(help="yes_no, single, ranked or verdict.")] = None,
    options: Annotated[list[str] | None, typer.Option(help="single/ranked options (repeat or comma-separate).")] = None,
    threshold_type: Annotated[
        str | None, typer.Option(help="majority, two_thirds, unanimous, quorum, supermajority or custom.")
    ] = None,
    threshold: Annotated[str | None, typer.Option(help="With custom: the share needed, e.g. 0.6.")] = None,
    quorum: Annotated[str | None, typer.Option(help="Fraction of eligible voters who must vote.")] = None,
    min_votes: Annotated[int | None, typer.Option(help="Minimum number of ballots.")] = None,
    weighted: Annotated[
        bool | None,
        typer.Option("--weighted/--no-weighted", help="Count weight x confidence (default: no, or the preset's)."),
    ] = None,
    weighted_denominator: Annotated[str | None, typer.Option(help="weights or scores.")] = None,
    deadline: Annotated[str | None, typer.Option(help="ISO-8601 instant after which no vote is accepted.")] = None,
    deadline_hours: Annotated[str | None, typer.Option(help="Hours from now after which no vote is accepted.")] = None,
    subject: Annotated[str | None, typer.Option(help="At most one open proposal per subject in a group.")] = None,
    on_no_consensus: Annotated[
        list[str] | None, typer.Option(help="discussion_round, expert_override, escalate (in order).")
    ] = None,
    max_rounds: Annotated[int | None, typer.Option(help="Last round allowed (default 2).")] = None,
    domain: Annotated[str | None, typer.Option(help="Field of the decision, for expert override.")] = None,
    critical: Annotated[
        bool, typer.Option("--critical/--no-critical", help="Unanimity of 3+ needs a human's check.")
    ] = False,
    preset: Annotated[
        str | None, typer.Option(help="simple_majority, supermajority, unanimous, weighted, ranked_choice.")
    ] = None,
    allow_abstain: Annotated[
        bool | None,
        typer.Option(
            "--allow-abstain/--no-allow-abstain", help="Whether abstaining is allowed (never under unanimous)."
        ),
    ] = None,
    prevent_self_vote: Annotated[
        bool | None, typer.Option("--prevent-self-vote/--no-prevent-self-vote", help="Whether you may not vote.")
    ] = None,
    min_human_approvals: Annotated[
        int | None, typer.Option(help="yes_no: counted yes ballots that must come from humans.")
    ] = None,
    close_at_deadline: Annotated[
        bool,
        typer.Option("--close-at-deadline/--no-close-at-deadline", help="Finalize by itself when the deadline passes."),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Open a proposal; prints its id (with --json, the whole proposal)."""
    fields: dict[str, Any] = {
        "group": group,
        "title": title,
        "description": description,
        "voting_type": voting_type,
        "options": split_list(options),
        "threshold_type": threshold_type,
        "threshold": threshold,
        "quorum": quorum,
        "min_votes": min_votes,
        "weighted": weighted,
        "weighted_denominator": weighted_denominator,
        "deadline": deadline,
        "deadline_hours": deadline_hours,
        "subject": subject,
        "allow_abstain": allow_abstain,
        "on_no_consensus": split_list(on_no_consensus),
        "max_rounds": max_rounds,
        "domain": domain,
        "critical": critical,
        "preset": preset,
        "prevent_self_vote": prevent_self_vote,
        "min_human_approvals": min_human_approvals,
        "close_at_deadline": close_at_deadline,
    }
    result = call(lambda api: api.create_proposal(**fields))
    emit(result, as_json, lambda r: out.print(r["id"], markup=False))


@proposal_app.command("vote")
def proposal_vote(
    proposal_id: str,
    vote: Annotated[str, typer.Argument(help="yes/no/abstain, an option, or a comma-separated ranking.")],
    comment: Annotated[str | None, typer.Option(help="Your rationale.")] = None,
    confidence: Annotated[str | None, typer.Option(help="0.0-1.0 (default 1.0).")] = None,
    evidence: Annotated[list[str] | None, typer.Option(help="A URL, path or quote (repeatable).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Cast or replace your vote."""
    result = call(lambda api: api.cast_vote(proposal_id, vote, comment, confidence, evidence))
    emit(
        result,
        as_json,
        lambda r: out.print(f"{'replaced' if r['replaced'] else 'recorded'}: {text(r['vote'], 'vote')}", markup=False),
    )


@proposal_app.command("show")
def proposal_show(
    proposal_id: str,
    history: Annotated[bool, typer.Option("--history", help="Include every vote ever cast.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """A proposal with its running tally and every current vote."""
    emit(call(lambda api: api.get_proposal(proposal_id, history)), as_json, show_proposal)


@proposal_app.command("list")
def proposal_list(
    group: Annotated[str | None, typer.Option(help="Only this group.")] = None,
    status: Annotated[str | None, typer.Option(help="open, escalated, finalized or cancelled.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many (1-500).")] = 100,
    awaiting_me: Annotated[
        bool, typer.Option("--awaiting-me", help="Only what waits for your vote, soonest deadline first.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Proposals and gates of your groups, newest first; --awaiting-me: what waits for your vote."""
    rows = call(lambda api: api.list_proposals(group, status, limit, awaiting_me))
    columns = ["id", "kind", "group", "title", "status", "outcome", "result", "voted"]
    if awaiting_me:
        columns = ["id", "title", "deadline"]
    emit(rows, as_json, lambda r: show_table(r, columns))


@proposal_app.command("finalize")
def proposal_finalize(
    proposal_id: str,
    mitigation: Annotated[str | None, typer.Option(help="How dissent is addressed (decision record).")] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Group owners/admins: finalize now, fail-closed (needs --rationale).")
    ] = False,
    rationale: Annotated[str | None, typer.Option(help="Why you force it (kept in the decision record).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Compute and freeze the result (or start a re-vote or escalation, per on_no_consensus). Allowed to its
    creator, group owners/admins and eligible voters once every eligible voter has voted, the deadline has
    passed, or the outcome is settled; exit 75 before. --force --rationale: passed only if settled as passed."""
    emit(call(lambda api: api.finalize_proposal(proposal_id, mitigation, force, rationale)), as_json, show_proposal)


@proposal_app.command("cancel")
def proposal_cancel(proposal_id: str, as_json: JsonFlag = False) -> None:
    """Cancel an open proposal and release its subject (an escalated one: human owners/admins only)."""
    emit(call(lambda api: api.cancel_proposal(proposal_id)), as_json, lambda r: out.print(f"{r['id']} cancelled"))


@proposal_app.command("wait")
def proposal_wait(
    proposal_id: str,
    timeout: Annotated[float, typer.Option(help="Seconds to wait (at most 3600).")] = 30,
    as_json: JsonFlag = False,
) -> None:
    """Wait for a decision. Exit 0 passed, 2 vetoed, 1 any other final outcome, 3 still open at the timeout."""
    result = call(lambda api: api.wait_proposal(proposal_id, timeout))
    emit(result, as_json, lambda r: out.print(f"{r['id']} {r['status']}: {r['summary']}", markup=False))
    raise typer.Exit(wait_exit_code(result))


def wait_exit_code(result: dict[str, Any]) -> int:
    if result["status"] == "open":
        return PENDING
    return {"passed": 0, "vetoed": 2}.get(result.get("outcome") or "", 1)

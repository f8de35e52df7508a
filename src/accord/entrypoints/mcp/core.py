"""MCP tools for groups and proposals, with the seed system's names and arguments."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import Context, MCPServer

from accord.entrypoints.mcp.common import Caller, Json


def register(server: MCPServer[Any], caller: Caller) -> None:
    @server.tool()
    async def whoami(ctx: Context[Any, Any]) -> Json:
        """Who you are acting as: your member name, kind, and groups."""
        return await caller.run(ctx, lambda api: api.whoami())

    @server.tool()
    async def list_groups(ctx: Context[Any, Any]) -> Json:
        """The groups you belong to, with your role in each. Returns {"groups": [...]}."""
        return {"groups": await caller.run(ctx, lambda api: api.list_groups())}

    @server.tool()
    async def list_members(group: str, ctx: Context[Any, Any]) -> Json:
        """The members of `group` with role, kind, weight, advisory and veto flags, and expertise.

        Returns {"group": ..., "members": [...]}."""
        return {"group": group, "members": await caller.run(ctx, lambda api: api.list_members(group))}

    @server.tool()
    async def create_proposal(
        group: str,
        title: str,
        ctx: Context[Any, Any],
        description: str = "",
        voting_type: str | None = None,
        options: list[str] | None = None,
        threshold_type: str | None = None,
        threshold: float | None = None,
        quorum: float | None = None,
        min_votes: int | None = None,
        weighted: bool | None = None,
        weighted_denominator: str | None = None,
        deadline: str | None = None,
        deadline_hours: float | None = None,
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
    ) -> Json:
        """Open a proposal for `group` to vote on. The group's members now become its eligible voters.

        voting_type: yes_no (default), single (pick one of `options`), ranked (order `options`), verdict.
        threshold_type: majority (> 1/2, default), two_thirds (>= 2/3), unanimous (everyone votes yes; no
        abstaining), quorum (> 1/2 with half taking part), supermajority (>= 2/3 with 3/4 taking part),
        custom (>= `threshold`, e.g. 0.6). quorum: fraction of eligible voters who must vote. min_votes:
        minimum ballots. weighted: count member weight x vote confidence; weighted_denominator: weights or
        scores. deadline (ISO-8601) or deadline_hours: no votes after it. subject: at most one open
        proposal per subject in a group. on_no_consensus: [discussion_round, expert_override, escalate].
        min_human_approvals (yes_no only): at least this many counted yes ballots must come from humans; refused
        when the group has fewer. close_at_deadline: finalize by itself when the deadline passes (needs one).
        Returns the proposal with its id (prop_...)."""
        return await caller.run(
            ctx,
            lambda api: api.create_proposal(
                group=group,
                title=title,
                description=description,
                voting_type=voting_type,
                options=options,
                threshold_type=threshold_type,
                threshold=threshold,
                quorum=quorum,
                min_votes=min_votes,
                weighted=weighted,
                weighted_denominator=weighted_denominator,
                deadline=deadline,
                deadline_hours=deadline_hours,
                subject=subject,
                allow_abstain=allow_abstain,
                prevent_self_vote=prevent_self_vote,
                on_no_consensus=on_no_consensus,
                max_rounds=max_rounds,
                domain=domain,
                critical=critical,
                preset=preset,
                min_human_approvals=min_human_approvals,
                close_at_deadline=close_at_deadline,
            ),
        )

    @server.tool()
    async def cast_vote(
        proposal_id: str,
        vote: str | list[str],
        ctx: Context[Any, Any],
        comment: str | None = None,
        confidence: float | None = None,
        evidence: list[str] | None = None,
    ) -> Json:
        """Cast your vote on a proposal; voting again replaces your earlier vote while it is open.

        vote: "yes" / "no" / "abstain" for yes_no; an option name for single; for ranked, the options in
        your order of preference, as a list or a comma-separated string ("API v2,SSO"); a prefix is fine.
        comment: your rationale. confidence: 0.0-1.0 (default 1.0). evidence: URLs, paths or quotes.
        Returns your ballot as recorded (get_proposal shows the running tally)."""
        return await caller.run(ctx, lambda api: api.cast_vote(proposal_id, vote, comment, confidence, evidence))

    @server.tool()
    async def get_proposal(proposal_id: str, ctx: Context[Any, Any], history: bool = False) -> Json:
        """A proposal: its rules, eligible voters, every current vote with comment and confidence, and the
        running tally (result, threshold_met, outcome, tally, shares, participation; rounds for ranked).
        While open the figures are provisional (as if finalized now). history: include every vote ever cast."""
        return await caller.run(ctx, lambda api: api.get_proposal(proposal_id, history))

    @server.tool()
    async def list_proposals(
        ctx: Context[Any, Any],
        group: str | None = None,
        status: str | None = None,
        limit: int = 100,
        awaiting_me: bool = False,
    ) -> Json:
        """Proposals and gates (`kind`) of your groups, newest first; status: open, escalated, finalized or
        cancelled. Each row has `eligible` / `ballots` (counted voters and their ballots) and, for you,
        `eligible_voter`, `voted` (a current vote) and `awaiting_me`. awaiting_me: only those waiting for your
        vote (open, before the deadline), soonest deadline first. Returns {"proposals": [...]}."""
        return {"proposals": await caller.run(ctx, lambda api: api.list_proposals(group, status, limit, awaiting_me))}

    @server.tool()
    async def finalize_proposal(
        proposal_id: str,
        ctx: Context[Any, Any],
        mitigation: str | None = None,
        force: bool = False,
        rationale: str | None = None,
    ) -> Json:
        """Compute and freeze the result: result, threshold_met, outcome (passed, rejected, vetoed,
        no_quorum, no_consensus), tally, shares, participation. Its creator, group owners/admins and eligible
        voters may finalize once the proposal is closable: every eligible voter has voted, the deadline has
        passed, or the outcome is settled (no missing voter could change it; get_proposal's `finalize` says
        which). Otherwise it is refused ("cannot be finalized yet: ..."): wait_proposal, then try again. With
        on_no_consensus it may instead start a re-vote (outcome "revote"), apply an expert override, or escalate
        to humans; an escalated proposal is decided by a human owner/admin (resolve_proposal).
        force (group owners/admins, with a rationale): finalize now, fail-closed: passed only if settled as
        passed, else vetoed/rejected/no_consensus; skips on_no_consensus; method "forced".
        mitigation: how dissent is addressed (kept in the decision record)."""
        return await caller.run(ctx, lambda api: api.finalize_proposal(proposal_id, mitigation, force, rationale))

    @server.tool()
    async def cancel_proposal(proposal_id: str, ctx: Context[Any, Any]) -> Json:
        """Cancel an open proposal (its creator or a group owner/admin); releases its subject. An escalated
        proposal is cancelled only by a human owner/admin (or a store administrator)."""
        return await caller.run(ctx, lambda api: api.cancel_proposal(proposal_id))

    @server.tool()
    async def wait_proposal(proposal_id: str, ctx: Context[Any, Any], timeout: float = 30) -> Json:
        """Wait until the proposal is decided (finalized, escalated or cancelled) or `timeout` seconds pass
        (at most 3600). Returns its state with `timed_out`; wakes on the deciding event, not by polling."""
        shared = await caller.run_async(
            ctx, lambda api: api.services.proposals.wait_shared(api.actor, proposal_id, timeout)
        )
        result: Json = shared.view  # one read shared by every waiter on it (SPEC §8 rev. 2); never mutated
        return result

    @server.tool()
    async def list_tokens(member: str, ctx: Context[Any, Any]) -> Json:
        """The tokens of `member` (yourself, or anyone for a store administrator): id (tok_...), label,
        created_at, last_used_at (to the minute), expires_at, revoked_at and status (active, expired, revoked);
        never the secret. Returns {"member": ..., "tokens": [...]}."""
        return {"member": member, "tokens": await caller.run(ctx, lambda api: api.list_tokens(member))}

    @server.tool()
    async def revoke_token(member: str, ctx: Context[Any, Any], token_id: str | None = None) -> Json:
        """Revoke one token of `member` (token_id, tok_...) or, without token_id, every token of `member`
        (yourself, or anyone for a store administrator). Whatever was held open with a revoked token ends
        within a second: waits, feeds, MCP sessions, web sessions. Returns {name, revoked, tokens}."""
        return await caller.run(ctx, lambda api: api.revoke_token(member, token_id))

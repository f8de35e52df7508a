"""MCP tools of the deliberation feature (SPEC §4, §4.2, §6, §9)."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import Context, MCPServer

from accord.entrypoints.mcp.common import Caller, Json
from accord.entrypoints.rest.deliberation import DecisionIn


def register(server: MCPServer[Any], caller: Caller) -> None:
    """Add this feature's tools to `server`."""

    @server.tool()
    async def resolve_proposal(
        proposal_id: str, decision: str, rationale: str, ctx: Context[Any, Any], mitigation: str | None = None
    ) -> Json:
        """Decide an escalated proposal as a human owner/admin of its group (agents are refused).

        A proposal is escalated when its vote found no consensus and `escalate` was its strategy, when a
        claim's verdict is CONTESTED or INSUFFICIENT_EVIDENCE, or when a critical proposal was unanimous
        (warning unanimous_requires_scrutiny: confirm or overturn it). decision: one of the proposal's
        options (yes/no for yes_no), or for a claim PROVEN, REFUTED, CONTESTED or INSUFFICIENT_EVIDENCE.
        rationale: why (required). mitigation: how the dissent is addressed (shown in the decision record).
        Returns the finalized proposal with resolution.method "human_decision"."""
        return await caller.run(ctx, lambda api: api.resolve_proposal(proposal_id, decision, rationale, mitigation))

    @server.tool()
    async def get_decision_record(proposal_id: str, ctx: Context[Any, Any]) -> Json:
        """The decision record of a proposal: topic, decision, every vote, the weighted calculation, the
        voting summary (each option's share and ballot count), whether consensus was reached against which
        threshold, the resolution method (vote, expert_override, human_decision), every dissenting opinion
        with its rationale and confidence, the mitigation, rounds, participants and date. The same record as
        Markdown is in the `markdown` field."""
        return await caller.run(ctx, lambda api: api.get_decision_record(proposal_id))

    @server.tool()
    async def create_consultation(
        group: str,
        title: str,
        ctx: Context[Any, Any],
        description: str = "",
        questions: dict[str, str] | None = None,
    ) -> Json:
        """Open a consultation: many members answer many questions at once, and each question gets its
        own weighted consensus. The group's members now are its contributors (each gets a REQUEST).
        questions: optional {"ARCH-001": "Monorepo or polyrepo?", ...}; ids are capital letters, a dash and
        three digits. Returns the consultation with its id (cons_...)."""
        return await caller.run(ctx, lambda api: api.create_consultation(group, title, description, questions))

    @server.tool()
    async def submit_contribution(consultation_id: str, decisions: list[DecisionIn], ctx: Context[Any, Any]) -> Json:
        """Submit your answers to a consultation's questions, many at once; answering a question again
        replaces your earlier answer.

        decisions: [{question_id: "ARCH-001", answer: "...", confidence: 0.0-1.0, rationale: "why",
        evidence?: [URL, path or quote], alternatives?: [answers you considered and rejected], question?:
        the question's text}]. confidence and rationale are required (seed 001's CONS-002, CONS-003).
        Returns the synthesis: per question unanimous, majority (resolved) or split (unresolved, flagged for
        humans), conflicts with severities; a critical conflict is escalated to the group's humans."""
        items = [d.model_dump(exclude_none=True) for d in decisions]
        return await caller.run(ctx, lambda api: api.submit_contribution(consultation_id, items))

    @server.tool()
    async def get_consultation(consultation_id: str, ctx: Context[Any, Any]) -> Json:
        """A consultation's synthesis: each question's status (unanimous, majority, split), winning answer
        and share, every answer with its contributors' confidence, rationale and evidence, conflicts with
        severity (critical, high, medium, low), the questions flagged for humans, and the same as Markdown
        in `markdown`."""
        return await caller.run(ctx, lambda api: api.get_consultation(consultation_id))

    @server.tool()
    async def list_consultations(
        ctx: Context[Any, Any], group: str | None = None, flagged: bool = False, limit: int = 100
    ) -> Json:
        """Consultations of your groups, newest first, each with its synthesis summary (questions, resolved,
        unresolved, the question ids `flagged` for humans, unanswered) and who contributed; read one with
        get_consultation. flagged: only those with a question flagged for humans. limit: 1-500.
        Returns {"consultations": [...]}."""
        return {"consultations": await caller.run(ctx, lambda api: api.list_consultations(group, flagged, limit))}

    @server.tool()
    async def list_completion_gates(
        ctx: Context[Any, Any],
        group: str | None = None,
        status: str | None = None,
        awaiting_me: bool = False,
        limit: int = 100,
    ) -> Json:
        """Completion gates of your groups, newest first, each as get_completion_gate shows it. status: "open"
        or "closed". awaiting_me: only open gates where you are a participant who has not signalled complete
        (signal with signal_completion). limit: 1-500. Returns {"completion_gates": [...]}."""
        gates = await caller.run(ctx, lambda api: api.list_completion_gates(group, status, awaiting_me, limit))
        return {"completion_gates": gates}

    @server.tool()
    async def create_completion_gate(
        group: str,
        title: str,
        participants: list[str],
        ctx: Context[Any, Any],
        min_completions: int = 2,
        window_seconds: int = 60,
        nudge_after_seconds: int = 30,
        fallback_timeout: int = 120,
    ) -> Json:
        """Open a completion gate, so a task closes only when several participants confirm it is done.

        It closes as consensus_complete when `min_completions` participants signal complete within
        `window_seconds` of each other. `nudge_after_seconds` after the first completion the others get
        one reminder; `fallback_timeout` seconds after it the gate closes anyway: single_agent_complete
        with warning single_agent_completion (or consensus_complete with warning completions_outside_window
        when enough completions came too far apart). participants: member names of `group`.
        Returns the gate with its id (cg_...)."""
        return await caller.run(
            ctx,
            lambda api: api.create_completion_gate(
                group, title, participants, min_completions, window_seconds, nudge_after_seconds, fallback_timeout
            ),
        )

    @server.tool()
    async def signal_completion(
        gate_id: str, ctx: Context[Any, Any], signal: str = "complete", note: str | None = None
    ) -> Json:
        """Tell a completion gate you consider the task `complete`, or that it `needs_revision` (which
        clears everyone's completions and restarts the clock). Only participants may signal; a repeated
        complete is recorded but does not count (`counted: false`). Returns the gate's state."""
        return await caller.run(ctx, lambda api: api.signal_completion(gate_id, signal, note))

    @server.tool()
    async def get_completion_gate(gate_id: str, ctx: Context[Any, Any]) -> Json:
        """A completion gate now: status (open, consensus_complete, single_agent_complete), warning,
        completions, the participants still pending, and when the nudge and the fallback fall due."""
        return await caller.run(ctx, lambda api: api.get_completion_gate(gate_id))

    @server.tool()
    async def sweep(ctx: Context[Any, Any]) -> Json:
        """Send the notices that are due now (completion-gate nudges and fallback closings). The server
        does this by itself every few seconds; use this only when running without one."""
        return await caller.run(ctx, lambda api: api.sweep())

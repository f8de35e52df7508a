"""CLI commands of the deliberation feature: `proposal resolve|record`, `consult`, `completion`, `sweep`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from accord.domain.errors import ValidationError
from accord.entrypoints.cli.common import JsonFlag, call, emit, fail, new_app, out, show_fields, show_table, split_list
from accord.entrypoints.cli.core import proposal_app, show_proposal

consult_app = new_app("Consultations: many members answer many questions; consensus per question.")
completion_app = new_app("Completion gates: a task closes when several participants confirm it is done.")


def register(app: typer.Typer) -> None:
    """Add this feature's command groups to `app` (`proposal resolve|record` join the proposal group)."""
    app.add_typer(consult_app, name="consult")
    app.add_typer(completion_app, name="completion")
    app.command("sweep")(sweep)


def markdown(data: dict[str, Any]) -> None:
    out.print(data["markdown"], markup=False, end="")


# -- proposals ---------------------------------------------------------------------------------------------


@proposal_app.command("resolve")
def proposal_resolve(
    proposal_id: str,
    decision: Annotated[str, typer.Argument(help="An option (yes/no), or for a claim PROVEN, REFUTED, ...")],
    rationale: Annotated[str, typer.Option(help="Why the humans decided this (required).")],
    mitigation: Annotated[str | None, typer.Option(help="How the dissent is addressed.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Decide an escalated proposal (a human owner/admin of its group only)."""
    emit(call(lambda api: api.resolve_proposal(proposal_id, decision, rationale, mitigation)), as_json, show_proposal)


@proposal_app.command("record")
def proposal_record(proposal_id: str, as_json: JsonFlag = False) -> None:
    """Print the decision record (Markdown, seed 004's layout; --json for the JSON)."""
    emit(call(lambda api: api.get_decision_record(proposal_id)), as_json, markdown)


# -- consultations -----------------------------------------------------------------------------------------


@consult_app.command("create")
def consult_create(
    group: Annotated[str, typer.Option(help="The contributing group.")],
    title: Annotated[str, typer.Option(help="What the consultation is about.")],
    description: Annotated[str, typer.Option(help="Context for contributors.")] = "",
    question: Annotated[list[str] | None, typer.Option(help="ID=text, e.g. 'ARCH-001=Monorepo?' (repeatable).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Open a consultation; prints its id (cons_...)."""
    questions: dict[str, str] = {}
    for item in question or []:
        qid, sep, text = item.partition("=")
        if not sep:
            fail(ValidationError(f"--question {item!r} must be ID=text, e.g. ARCH-001=Monorepo or polyrepo?"))
        questions[qid.strip()] = text.strip()
    result = call(lambda api: api.create_consultation(group, title, description, questions or None))
    emit(result, as_json, lambda r: out.print(r["id"], markup=False))


@consult_app.command("submit")
def consult_submit(
    consultation_id: str,
    file: Annotated[
        str | None, typer.Option(help="A JSON list of decisions ('-' reads standard input).", show_default=False)
    ] = None,
    question_id: Annotated[str | None, typer.Option(help="One answer: its question id (ARCH-001).")] = None,
    answer: Annotated[str | None, typer.Option(help="One answer: the answer.")] = None,
    confidence: Annotated[str | None, typer.Option(help="One answer: 0.0-1.0.")] = None,
    rationale: Annotated[str | None, typer.Option(help="One answer: why.")] = None,
    evidence: Annotated[list[str] | None, typer.Option(help="One answer: a URL, path or quote (repeatable).")] = None,
    alternative: Annotated[list[str] | None, typer.Option(help="One answer: a rejected alternative.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Submit your answers: a JSON list with --file, or one answer with --question-id/--answer/...."""
    decisions: Any
    if file is not None:
        try:
            text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
            decisions = json.loads(text)
        except (OSError, json.JSONDecodeError) as exc:
            fail(ValidationError(f"--file {file}: not a readable JSON list of decisions ({exc})"))
    else:
        item: dict[str, Any] = {"question_id": question_id, "answer": answer, "rationale": rationale}
        item.update(confidence=confidence, evidence=evidence, alternatives=split_list(alternative))
        decisions = [{k: v for k, v in item.items() if v is not None}]
    result = call(lambda api: api.submit_contribution(consultation_id, decisions))
    emit(result, as_json, lambda r: show_table(r["questions"], ["question_id", "status", "answer", "share", "flags"]))


@consult_app.command("show")
def consult_show(consultation_id: str, as_json: JsonFlag = False) -> None:
    """Print the synthesis (Markdown; --json for the JSON)."""
    emit(call(lambda api: api.get_consultation(consultation_id)), as_json, markdown)


@consult_app.command("list")
def consult_list(
    group: Annotated[str | None, typer.Option(help="Only this group.")] = None,
    flagged: Annotated[bool, typer.Option("--flagged", help="Only those with a question flagged for humans.")] = False,
    limit: Annotated[int, typer.Option(help="At most this many (1-500).")] = 100,
    as_json: JsonFlag = False,
) -> None:
    """Consultations of your groups, newest first, with the questions flagged for humans."""
    rows = call(lambda api: api.list_consultations(group, flagged, limit))

    def human(items: list[dict[str, Any]]) -> None:
        shown = [
            {
                **c,
                "resolved": f"{c['summary']['resolved']} of {c['summary']['questions']}",
                "flagged": ", ".join(c["summary"]["flagged"]),
            }
            for c in items
        ]
        show_table(shown, ["id", "title", "resolved", "flagged"])

    emit(rows, as_json, human)


# -- completion gates --------------------------------------------------------------------------------------


def show_gate(g: dict[str, Any]) -> None:
    out.print(f"[bold]{g['id']}[/bold]  {g['title']}")
    keys = ["status", "warning", "closed_at", "participants", "completions", "pending", "nudge_at", "fallback_at"]
    show_fields(g, keys)


@completion_app.command("create")
def completion_create(
    group: Annotated[str, typer.Option(help="The participants' group.")],
    title: Annotated[str, typer.Option(help="The task to confirm.")],
    participant: Annotated[list[str], typer.Option(help="A participant (repeat or comma-separate).")],
    min_completions: Annotated[int, typer.Option(help="Completions needed.")] = 2,
    window_seconds: Annotated[int, typer.Option(help="Within this many seconds of each other.")] = 60,
    nudge_after_seconds: Annotated[int, typer.Option(help="Remind the others after the first completion.")] = 30,
    fallback_timeout: Annotated[int, typer.Option(help="Close anyway this long after the first completion.")] = 120,
    as_json: JsonFlag = False,
) -> None:
    """Open a completion gate; prints its id (cg_...)."""
    people = split_list(participant) or []
    result = call(
        lambda api: api.create_completion_gate(
            group, title, people, min_completions, window_seconds, nudge_after_seconds, fallback_timeout
        )
    )
    emit(result, as_json, lambda r: out.print(r["id"], markup=False))


@completion_app.command("signal")
def completion_signal(
    gate_id: str,
    signal: Annotated[str, typer.Argument(help="complete or needs_revision.")] = "complete",
    note: Annotated[str | None, typer.Option(help="Why (e.g. what needs revision).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Signal that the task is complete, or that it needs revision (clears the completions)."""
    emit(call(lambda api: api.signal_completion(gate_id, signal, note)), as_json, show_gate)


@completion_app.command("show")
def completion_show(gate_id: str, as_json: JsonFlag = False) -> None:
    """A completion gate's state now."""
    emit(call(lambda api: api.get_completion_gate(gate_id)), as_json, show_gate)


@completion_app.command("list")
def completion_list(
    group: Annotated[str | None, typer.Option(help="Only this group.")] = None,
    status: Annotated[str | None, typer.Option(help="open or closed.")] = None,
    awaiting_me: Annotated[
        bool, typer.Option("--awaiting-me", help="Only open gates waiting for your signal.")
    ] = False,
    limit: Annotated[int, typer.Option(help="At most this many (1-500).")] = 100,
    as_json: JsonFlag = False,
) -> None:
    """Completion gates of your groups, newest first."""
    rows = call(lambda api: api.list_completion_gates(group, status, awaiting_me, limit))

    def human(items: list[dict[str, Any]]) -> None:
        shown = [
            {**g, "done": f"{len(g['completions'])} of {g['min_completions']}", "pending": ", ".join(g["pending"])}
            for g in items
        ]
        show_table(shown, ["id", "title", "status", "done", "pending"])

    emit(rows, as_json, human)


def sweep(as_json: JsonFlag = False) -> None:
    """Send the notices that are due now (completion-gate nudges, fallback closings); for cron without a server.
    Store administrators only (exit 77 otherwise)."""
    emit(call(lambda api: api.sweep()), as_json)

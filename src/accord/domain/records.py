"""Decision records (SPEC §4, seed 004's "Decision Record"): one JSON shape, rendered to Markdown.

A record gives the topic, the decision, every vote, the weighted calculation, the voting summary (each
option's share to one decimal and its ballot count), whether consensus was reached against which threshold,
the resolution method, every dissenting opinion with its rationale and confidence, the mitigation, the
rounds, the participants and the date. Options with no ballots appear in the JSON, not in the Markdown
summary.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from accord.domain import verdict as v
from accord.domain.deliberation import reached_consensus
from accord.domain.numbers import as_float
from accord.domain.proposals import Ballot, Proposal
from accord.domain.summary import veto_text
from accord.domain.tally import TallyResult, share_rule


def percent(share: Fraction) -> str:
    """A share as a percentage to one decimal, rounded half up from the exact value: 26/45 -> '57.8%'."""
    tenths = math.floor(share * 1000 + Fraction(1, 2))
    return f"{tenths // 10}.{tenths % 10}%"


def number(value: Fraction) -> str:
    """A weight, confidence or support as the seed writes it: '2.0', '0.9', '1.05' (at most 4 places)."""
    text = f"{float(round(value, 4)):.4f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def bound_text(bound: Fraction) -> str:
    """A threshold as a percentage: 3/5 -> '60%', 2/3 -> '66.7%'."""
    return percent(bound).replace(".0%", "%")


def shown(ballot: Ballot) -> str:
    return " > ".join(ballot.choice) if isinstance(ballot.choice, tuple) else ballot.choice


def _first(ballot: Ballot) -> str:
    return ballot.choice[0] if isinstance(ballot.choice, tuple) else ballot.choice


def build_record(p: Proposal, result: TallyResult, history: Sequence[Ballot]) -> dict[str, Any]:
    """The decision record of `p` as JSON (its `markdown` rendered from the same figures)."""
    figures = p.outcome if p.outcome is not None and p.status != "open" else result.as_dict(p.rules)
    resolution = dict(p.resolution or {})
    decision = figures.get("result") if p.status == "finalized" else None
    vetoed = figures.get("outcome") == "vetoed" and p.status == "finalized"
    if vetoed:  # a veto decides "no" whatever the counts (fail-closed); the count's "yes" is not the decision
        decision = p.rules.options[1]
    side = decision
    if p.rules.voting_type == "verdict":
        side = {v.PROVEN: v.ACCEPT, v.REFUTED: v.REJECT}.get(decision or "")
    ballots = list(p.ballots.values())
    counted = {x.name for x in p.counted_voters}
    record: dict[str, Any] = {
        "proposal_id": p.id,
        "group": p.group,
        "topic": p.title,
        "description": p.description,
        "status": p.status,
        "final": p.status == "finalized",
        "decision": decision,
        "decision_text": _decision_text(p, decision, resolution)
        + (f" ({veto_text(result.vetoed_by, _comments(p))})" if vetoed and result.vetoed_by else ""),
        "voting_type": p.rules.voting_type,
        "weighted": p.rules.weighted,
        "weighted_denominator": p.rules.weighted_denominator if p.rules.weighted else None,
        "outcome": figures.get("outcome"),
        "summary": [
            {
                "option": o,
                "share": as_float(result.shares.get(o, Fraction(0))),
                "percent": percent(result.shares.get(o, Fraction(0))),
                "ballots": result.tally.get(o, 0),
                "support": as_float(result.support.get(o, Fraction(0))),
            }
            for o in p.rules.options
        ],
        "consensus": _consensus(p, result),
        "resolution": {**resolution, "method": resolution.get("method", _pending_method(p)), "text": ""},
        "votes": [
            {
                "voter": b.voter,
                "vote": b.shown(),
                "weight": float(p.voters[b.voter].weight) if b.voter in p.voters else None,
                "confidence": float(b.confidence),
                "rationale": b.comment,
                "evidence": list(b.evidence),
                "advisory": b.voter not in counted,
                "round": b.round,
            }
            for b in ballots
        ],
        "calculation": _calculation(p, result, ballots, counted),
        "dissent": [
            {
                "voter": b.voter,
                "vote": b.shown(),
                "rationale": b.comment,
                "confidence": float(b.confidence),
                "weight": float(p.voters[b.voter].weight) if b.voter in p.voters else None,
                "advisory": b.voter not in counted,
            }
            for b in ballots
            if side is not None and not b.abstains and _first(b) != side
        ],
        "mitigation": p.mitigation,
        "round": p.round,
        "rounds": _rounds(history),
        "participants": _participants(p, history),
        "decided_by": p.finalized_by if p.status == "finalized" else None,
        "date": p.finalized_at.date().isoformat() if p.finalized_at and p.status == "finalized" else None,
        "decided_at": p.finalized_at.isoformat() if p.finalized_at else None,
        "warnings": list(figures.get("warnings") or []),
    }
    if result.verdict is not None:
        record["verdict"] = result.verdict
    record["resolution"]["text"] = _method_text(p, record["resolution"])
    record["markdown"] = render_markdown(record)
    return record


def _pending_method(p: Proposal) -> str:
    return {"open": "pending", "cancelled": "cancelled"}.get(p.status, "vote")


def _decision_text(p: Proposal, decision: str | None, resolution: dict[str, Any]) -> str:
    if p.status == "open":
        return "Pending: voting is open"
    if p.status == "cancelled":
        return "None: the proposal was cancelled"
    if p.status == "escalated":
        return f"Pending a human decision (escalated: {resolution.get('reason', 'no_consensus')})"
    return decision if decision is not None else "None: no consensus"


def _consensus(p: Proposal, result: TallyResult) -> dict[str, Any]:
    rules = p.rules
    op, bound = share_rule(rules)
    threshold = bound_text(bound)
    data: dict[str, Any] = {"threshold": threshold, "participation": as_float(result.participation)}
    if result.verdict is not None:
        reached = result.result in (v.PROVEN, v.REFUTED)
        word = "REACHED" if reached else "NOT REACHED"
        data.update(threshold="verdict table", reached=reached, text=f"{word} (verdict {result.result})")
        return data
    reached = reached_consensus(p, result)
    if result.vetoed_by:
        text = f"NOT REACHED ({veto_text(result.vetoed_by, _comments(p))})"
    elif not result.quorum_met:
        text = f"NOT REACHED (participation {percent(result.participation)} below the required quorum)"
    elif not result.min_votes_met:
        text = f"NOT REACHED ({result.ballots} ballots, fewer than the {rules.min_votes} required)"
    elif result.outcome == "passed":
        text = f"REACHED ({threshold} threshold met)" if op != "==" else "REACHED (unanimous)"
    elif reached:
        text = f"REACHED against (no: {percent(result.shares['no'])}, {threshold} threshold)"
    elif result.tied:
        text = f"NOT REACHED (tie between {' and '.join(result.tied)})"
    elif op == ">=":
        text = f"NOT REACHED (below {threshold} threshold)"
    elif op == ">":
        text = f"NOT REACHED (not above {threshold} threshold)"
    else:
        text = "NOT REACHED (not unanimous)"
    data.update(reached=reached, text=text)
    return data


def _comments(p: Proposal) -> dict[str, str | None]:
    return {name: b.comment for name, b in p.ballots.items()}


def _method_text(p: Proposal, resolution: dict[str, Any]) -> str:
    method = resolution["method"]
    if method == "expert_override":
        expert = str(resolution.get("expert"))
        ballot = p.ballots.get(expert)
        why = "domain expert" if p.domain else "greatest weight"
        confidence = number(ballot.confidence) if ballot else "?"
        return f"Expert override - {expert} ({why})\nhad {confidence} confidence in {resolution.get('decision')}"
    if method == "human_decision":
        text = f"Human decision - {resolution.get('by')}\n{resolution.get('rationale')}"
        if "confirmed" in resolution:
            text += "\n(confirms the unanimous vote)" if resolution["confirmed"] else "\n(overturns the unanimous vote)"
        return text
    if method == "forced":
        text = f"Forced - {resolution.get('by')}\n{resolution.get('rationale')}"
        if resolution.get("settled"):
            return text + f"\n(the outcome was settled as {resolution.get('settled_outcome')})"
        missing = len(resolution.get("missing") or [])
        return text + f"\n(not settled with {missing} voter(s) missing: fail-closed, it could not pass)"
    if method == "escalated":
        return f"Escalated to humans ({resolution.get('reason')}): waiting for a human owner/admin to resolve it"
    if method == "pending":
        return "Pending: voting is open"
    if method == "cancelled":
        return f"Cancelled by {p.finalized_by}"
    return "Vote"


def _calculation(p: Proposal, result: TallyResult, ballots: list[Ballot], counted: set[str]) -> list[str]:
    """Seed 004's step 3, line by line (weighted single-choice and yes/no proposals only)."""
    rules = p.rules
    if not rules.weighted or rules.voting_type in ("ranked", "verdict"):
        return []
    lines = []
    by_support = sorted(rules.options, key=lambda o: -result.support.get(o, Fraction(0)))  # seed 004's order
    for option in by_support:
        terms = [
            f"({number(p.voters[b.voter].weight)} * {number(b.confidence)})"
            for b in ballots
            if b.voter in counted and not b.abstains and b.choice == option
        ]
        support = result.support.get(option, Fraction(0))
        lines.append(f"{option}: {' + '.join(terms)} = {number(support)}" if terms else f"{option}: 0")
    denominator = sum(result.support.values(), Fraction(0))
    label = "Total score"
    if rules.weighted_denominator == "weights":
        denominator = sum(
            (p.voters[b.voter].weight for b in ballots if b.voter in counted and not b.abstains), Fraction(0)
        )
        label = "Total weight"
    lines.append(f"{label}: {number(denominator)}")
    for option in by_support:
        support = result.support.get(option, Fraction(0))
        if support and denominator:
            lines.append(f"{option}: {number(support)} / {number(denominator)} = {percent(support / denominator)}")
    leader = result.result if rules.voting_type != "yes_no" else "yes"
    if result.threshold_met and leader is not None:
        lines.append(f"{leader}: {percent(result.shares[leader])} → CONSENSUS REACHED")
    else:
        lines.append(f"Threshold: {bound_text(share_rule(rules)[1])} → No clear consensus")
    return lines


def _rounds(history: Sequence[Ballot]) -> list[dict[str, Any]]:
    latest: dict[int, dict[str, Ballot]] = {}
    for b in history:
        latest.setdefault(b.round, {})[b.voter] = b
    rounds = []
    for number_, ballots in sorted(latest.items()):
        votes: dict[str, int] = {}
        for b in ballots.values():
            votes[_first(b)] = votes.get(_first(b), 0) + 1
        rounds.append({"round": number_, "ballots": len(ballots), "votes": votes})
    return rounds


def _participants(p: Proposal, history: Sequence[Ballot]) -> list[dict[str, Any]]:
    voted = list(dict.fromkeys(b.voter for b in history))
    return [
        {"member": x.name, "kind": x.kind, "weight": float(x.weight), "advisory": x.advisory, "voted": x.name in voted}
        for x in sorted(
            p.voters.values(), key=lambda x: (x.name not in voted, voted.index(x.name) if x.name in voted else 0)
        )
    ]


def render_markdown(r: dict[str, Any]) -> str:
    """Seed 004's layout: Topic, Decision, Votes, Calculation, Voting Summary, Resolution Method,
    Dissenting Opinion (with the mitigation), Rounds, Participants, Decision Date."""
    lines = ["## Decision Record", "### Topic", r["topic"], "### Decision", r["decision_text"]]
    if r["votes"]:
        lines.append("### Votes")
        for vote in r["votes"]:
            shown_vote = " > ".join(vote["vote"]) if isinstance(vote["vote"], list) else vote["vote"]
            facts = f"confidence {number(Fraction(str(vote['confidence'])))}"
            if r["weighted"] and vote["weight"] is not None:
                facts = f"weight {number(Fraction(str(vote['weight'])))}, {facts}"
            advisory = ", advisory" if vote["advisory"] else ""
            lines.append(f"- {vote['voter']}: {shown_vote} ({facts}{advisory})")
            if vote["rationale"]:
                lines.append(f"  Rationale: {vote['rationale']}")
            if vote["evidence"]:
                lines.append(f"  Evidence: {'; '.join(vote['evidence'])}")
    if r["calculation"]:
        lines += ["### Calculation", *r["calculation"]]
    lines.append("### Voting Summary")
    for row in sorted(r["summary"], key=lambda row: -row["share"]):
        if row["ballots"]:
            lines.append(
                f"- {row['option']}: {row['percent']} ({row['ballots']} vote{'s' if row['ballots'] != 1 else ''})"
            )
    lines.append(f"- Consensus: {r['consensus']['text']}")
    if "verdict" in r:
        lines.append(f"- Verdict: {r['verdict']['verdict']} ({r['verdict']['rule']})")
    lines += ["### Resolution Method", r["resolution"]["text"]]
    lines += [f"Warning: {w}" for w in r["warnings"]]
    lines.append("### Dissenting Opinion")
    for d in r["dissent"]:
        why = d["rationale"] or "no rationale given"
        shown_vote = " > ".join(d["vote"]) if isinstance(d["vote"], list) else d["vote"]
        lines.append(
            f"{d['voter']} preferred {shown_vote} (confidence {number(Fraction(str(d['confidence'])))}): {why}"
        )
    if not r["dissent"]:
        lines.append("None recorded." if r["final"] else "None yet: no decision.")
    if r["mitigation"]:
        lines.append(f"Mitigation: {r['mitigation']}")
    lines.append("### Rounds")
    for rnd in r["rounds"] or [{"round": r["round"], "ballots": 0, "votes": {}}]:
        votes = ", ".join(f"{k} {n}" for k, n in rnd["votes"].items()) or "no ballots"
        lines.append(f"- Round {rnd['round']}: {votes}")
    voted = [x["member"] for x in r["participants"] if x["voted"]]
    silent = [x["member"] for x in r["participants"] if not x["voted"]]
    lines += ["### Participants", ", ".join(voted) or "nobody voted"]
    if silent:
        lines.append(f"Did not vote: {', '.join(silent)}")
    lines += ["### Decision Date", r["date"] or "Pending"]
    return "\n".join(lines) + "\n"

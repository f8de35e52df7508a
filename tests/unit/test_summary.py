"""A proposal's state in one sentence (domain/summary.py): never the counts' "result yes" while a veto stands,
never "rejected" before anyone voted, and who decided when the vote did not."""

from __future__ import annotations

from datetime import UTC, datetime

from accord.domain.proposals import Proposal, ProposalSpec, Voter, build_rules
from accord.domain.summary import summarize, veto_text
from accord.domain.tally import tally

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def proposal(voters: list[str], vetoes: tuple[str, ...] = (), **spec: object) -> Proposal:
    rules = build_rules(ProposalSpec(group="g", title="t", **spec))  # type: ignore[arg-type]
    people = {n: Voter(n, veto=n in vetoes) for n in voters}
    return Proposal(id="prop_test", group="g", title="t", created_by="x", created_at=NOW, rules=rules, voters=people)


def said(p: Proposal) -> str:
    figures = p.outcome if p.outcome is not None and p.status != "open" else tally(p).as_dict(p.rules)
    return summarize(p, figures)


def test_no_ballots_is_no_votes_yet() -> None:
    assert said(proposal(["a", "b"])) == "no votes yet"


def test_a_standing_veto_names_each_holder_and_reason() -> None:
    p = proposal(["sec", "ops", "a", "b"], vetoes=("sec", "ops"), threshold_type="majority")
    for name in ("a", "b"):
        p.cast(name, "yes", at=NOW)
    p.cast("sec", "no", at=NOW, comment="gate bypass in tool-proxy.sh")
    assert said(p) == "vetoed by sec: gate bypass in tool-proxy.sh"
    p.cast("ops", "no", at=NOW)
    assert said(p) == "vetoed by ops; sec: gate bypass in tool-proxy.sh"
    assert veto_text(["sec"], {}) == "vetoed by sec"


def test_the_provisional_reading_says_it_is_provisional_and_how_many_voted() -> None:
    p = proposal(["a", "b", "c"], threshold_type="two_thirds")
    p.cast("a", "yes", at=NOW)
    p.cast("b", "yes", at=NOW)
    assert said(p) == "if finalized now: passed: yes 100%, ≥ 66.7% needed (2 of 3 counted voters have voted)"
    p.cast("c", "no", at=NOW)
    p.cast("b", "no", at=NOW)
    assert said(p) == "if finalized now: rejected: yes 33.3%, ≥ 66.7% needed (3 of 3 counted voters have voted)"


def test_choices_ties_and_quorum() -> None:
    single = proposal(["a", "b"], voting_type="single", options=["Redis", "Valkey"])
    single.cast("a", "Redis", at=NOW)
    single.cast("b", "Valkey", at=NOW)
    assert said(single).startswith("if finalized now: no consensus: tied between Redis, Valkey")
    quorum = proposal(["a", "b", "c", "d"], threshold_type="supermajority")
    quorum.cast("a", "yes", at=NOW)
    assert said(quorum).startswith("if finalized now: not enough votes: participation 25% is below the quorum")


def test_decided_proposals_say_what_was_decided_and_by_whom() -> None:
    p = proposal(["a", "b"])
    p.cast("a", "yes", at=NOW)
    p.cast("b", "yes", at=NOW)
    p.finalize(tally(p).as_dict(p.rules), by="a", at=NOW, resolution={"method": "vote"})
    assert said(p) == "passed: yes 100%, > 50% needed"
    human = proposal(["a", "b"])
    human.cast("a", "yes", at=NOW)
    human.cast("b", "no", at=NOW)
    human.escalate(tally(human).as_dict(human.rules), "no_consensus")
    assert said(human) == "escalated to humans (no_consensus): waiting for a human owner/admin to decide"
    figures = {**tally(human).as_dict(human.rules), "outcome": "passed", "result": "yes"}
    human.finalize(figures, by="lead", at=NOW, resolution={"method": "human_decision", "by": "lead", "rationale": "ok"})
    assert said(human) == "passed (decided by lead: ok)"
    gone = proposal(["a"])
    gone.cancel(by="x", at=NOW)
    assert said(gone) == "cancelled by x"

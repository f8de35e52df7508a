"""Proposals, their voter snapshots, current ballots and vote history."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import and_, bindparam, delete, exists, func, insert, not_, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from accord.domain.errors import ConflictError
from accord.domain.proposals import Ballot, Proposal, Rules, Voter
from accord.storage import tables as t
from accord.storage.prepared import Prepared

_MUTABLE = (
    "status",
    "round",
    "outcome",
    "resolution",
    "mitigation",
    "finalized_at",
    "finalized_by",
    "deadline",
    "subject_lock",
)

# The vote path's statements, built once (building one costs more than SQLite running it) and prepared.
_pv, _v, _m = t.proposal_voters, t.votes, t.memberships
_VOTER_COLUMNS = ("member", "kind", "weight", "advisory", "veto", "expertise")
_BALLOT_COLUMNS = ("voter", "choice", "confidence", "comment", "evidence", "cast_at", "round")
# The proposal, the caller's voter snapshot and current ballot, and whether it is in the group: one read.
_FOR_VOTE = Prepared(
    select(
        t.proposals,
        *(_pv.c[name].label(f"voter_{name}") for name in _VOTER_COLUMNS),
        *(_v.c[name].label(f"ballot_{name}") for name in _BALLOT_COLUMNS),
        _m.c.member.label("membership"),
    )
    .select_from(
        t.proposals.outerjoin(_pv, and_(_pv.c.proposal_id == t.proposals.c.id, _pv.c.member == bindparam("member")))
        .outerjoin(_v, and_(_v.c.proposal_id == t.proposals.c.id, _v.c.voter == bindparam("member")))
        .outerjoin(_m, and_(_m.c.group_name == t.proposals.c.group_name, _m.c.member == bindparam("member")))
    )
    .where(t.proposals.c.id == bindparam("proposal_id"))
)
# PostgreSQL: lock the proposal row first, then read the rest in a fresh snapshot (a single SELECT ... FOR
# UPDATE would see the joined ballot as it was before the wait, missing one a concurrent vote just committed).
_LOCK = select(t.proposals.c.id).where(t.proposals.c.id == bindparam("proposal_id")).with_for_update()
_BALLOT_KEYS = ("proposal_id", "voter", "choice", "confidence", "comment", "evidence", "cast_at", "round")
_INSERT_VOTE = Prepared(insert(t.votes), column_keys=_BALLOT_KEYS)
_UPDATE_VOTE = Prepared(
    update(t.votes).where(
        t.votes.c.proposal_id == bindparam("key_proposal_id"), t.votes.c.voter == bindparam("key_voter")
    ),
    column_keys=_BALLOT_KEYS,
)
_INSERT_HISTORY = Prepared(insert(t.vote_history), column_keys=_BALLOT_KEYS)
_CHUNK = 900  # ids per IN (...) list, well under SQLite's and PostgreSQL's bind-parameter limits
_SUMMARY = (
    "id",
    "group_name",
    "kind",
    "title",
    "voting_type",
    "threshold_type",
    "status",
    "subject",
    "deadline",
    "created_by",
    "created_at",
    "finalized_at",
    "outcome",
    "round",
    "payload",
)


class ProposalRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, p: Proposal) -> None:
        """Store a new proposal; refuses (ConflictError) a second open proposal on the same subject."""
        r = p.rules
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    insert(t.proposals).values(
                        id=p.id,
                        group_name=p.group,
                        kind=p.kind,
                        title=p.title,
                        description=p.description,
                        voting_type=r.voting_type,
                        options=list(r.options),
                        threshold_type=r.threshold_type,
                        threshold=r.threshold,
                        quorum=r.quorum,
                        min_votes=r.min_votes,
                        weighted=r.weighted,
                        weighted_denominator=r.weighted_denominator,
                        allow_abstain=r.allow_abstain,
                        prevent_self_vote=p.prevent_self_vote,
                        on_no_consensus=list(p.on_no_consensus),
                        max_rounds=p.max_rounds,
                        domain=p.domain,
                        critical=p.critical,
                        deadline=p.deadline,
                        subject=p.subject,
                        subject_lock=p.subject if p.status in ("open", "escalated") else None,
                        status=p.status,
                        round=p.round,
                        created_by=p.created_by,
                        created_at=p.created_at,
                        payload=p.payload,
                    )
                )
        except IntegrityError:
            holder = self.open_for_subject(p.group, p.subject or "")
            raise ConflictError(
                f"subject {p.subject!r} already has an open request {holder}",
                subject=p.subject,
                proposal_id=holder,
            ) from None
        if p.voters:
            self.conn.execute(
                insert(t.proposal_voters),
                [
                    {
                        "proposal_id": p.id,
                        "member": v.name,
                        "kind": v.kind,
                        "weight": v.weight,
                        "advisory": v.advisory,
                        "veto": v.veto,
                        "expertise": list(v.expertise),
                    }
                    for v in p.voters.values()
                ],
            )

    def open_for_subject(self, group: str, subject: str) -> str | None:
        row = self.conn.execute(
            select(t.proposals.c.id).where(t.proposals.c.group_name == group, t.proposals.c.subject_lock == subject)
        ).first()
        return row[0] if row else None

    def latest_for_subject(self, group: str, subject: str, kind: str | None = None) -> str | None:
        query = select(t.proposals.c.id).where(t.proposals.c.group_name == group, t.proposals.c.subject == subject)
        if kind is not None:
            query = query.where(t.proposals.c.kind == kind)
        row = self.conn.execute(query.order_by(t.proposals.c.created_at.desc(), t.proposals.c.id.desc())).first()
        return row[0] if row else None

    def get(self, proposal_id: str, *, for_update: bool = False) -> Proposal | None:
        """The proposal with its voters and current ballots."""
        query = select(t.proposals).where(t.proposals.c.id == proposal_id)
        if for_update:
            query = query.with_for_update()
        row = self.conn.execute(query).mappings().first()
        if row is None:
            return None
        voter_query = select(t.proposal_voters).where(t.proposal_voters.c.proposal_id == proposal_id)
        ballot_query = select(t.votes).where(t.votes.c.proposal_id == proposal_id).order_by(t.votes.c.cast_at)
        voters = self.conn.execute(voter_query)
        ballots = self.conn.execute(ballot_query)
        p = _proposal(row)
        p.voters = {v.name: v for v in (_voter(r) for r in voters.mappings())}
        p.ballots = {b.voter: b for b in (_ballot(r) for r in ballots.mappings())}
        return p

    def get_for_vote(self, proposal_id: str, member: str, *, lock: bool = True) -> tuple[Proposal, bool] | None:
        """The proposal with only `member`'s voter snapshot and current ballot (enough to cast its vote: the
        vote path stays O(1) in the group's size), and whether `member` belongs to the proposal's group; None
        when there is no such proposal. `lock` serialises concurrent votes on it (on SQLite, BEGIN IMMEDIATE
        serialises writers already)."""
        params = {"proposal_id": proposal_id, "member": member}
        if lock and self.conn.dialect.name != "sqlite" and self.conn.execute(_LOCK, params).first() is None:
            return None
        row = _FOR_VOTE.first(self.conn, params)
        if row is None:
            return None
        p = _proposal(row)
        if row["voter_member"] is not None:
            p.voters = {member: _voter(row, "voter_")}
        if row["ballot_voter"] is not None:
            p.ballots = {member: _ballot(row, "ballot_")}
        return p, row["membership"] is not None

    def group_of(self, proposal_id: str) -> str | None:
        row = self.conn.execute(select(t.proposals.c.group_name).where(t.proposals.c.id == proposal_id)).first()
        return row[0] if row else None

    def save(self, p: Proposal) -> None:
        """Write the proposal's changing fields (status, round, outcome, ...)."""
        values: dict[str, Any] = {name: getattr(p, name) for name in _MUTABLE if name != "subject_lock"}
        values["subject_lock"] = p.subject if p.status == "open" or p.status == "escalated" else None
        self.conn.execute(update(t.proposals).where(t.proposals.c.id == p.id).values(**values))

    def put_ballot(self, proposal_id: str, b: Ballot, *, replacing: bool) -> None:
        """Make `b` the voter's current ballot and append it to the history."""
        values = _ballot_values(proposal_id, b)
        if replacing:
            _UPDATE_VOTE.run(self.conn, {**values, "key_proposal_id": proposal_id, "key_voter": b.voter})
        else:
            _INSERT_VOTE.run(self.conn, values)
        _INSERT_HISTORY.run(self.conn, values)

    def clear_ballots(self, proposal_id: str) -> None:
        """Archive the round's ballots (they stay in the history) so voters vote afresh."""
        self.conn.execute(delete(t.votes).where(t.votes.c.proposal_id == proposal_id))

    def history(self, proposal_id: str) -> list[Ballot]:
        rows = self.conn.execute(
            select(t.vote_history).where(t.vote_history.c.proposal_id == proposal_id).order_by(t.vote_history.c.id)
        ).mappings()
        return [_ballot(r) for r in rows]

    def summaries(
        self,
        groups: Sequence[str] | None,
        *,
        status: str | None = None,
        kind: str | None = "proposal",
        group: str | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Summaries, newest first, of the proposals in `groups` (None: all groups)."""
        c = t.proposals.c
        query = (
            select(
                c.id,
                c.group_name,
                c.kind,
                c.title,
                c.voting_type,
                c.threshold_type,
                c.status,
                c.subject,
                c.deadline,
                c.created_by,
                c.created_at,
                c.finalized_at,
                c.outcome,
                c.round,
            )
            .order_by(c.created_at.desc(), c.id.desc())
            .limit(limit)
        )
        if groups is not None:
            query = query.where(c.group_name.in_(list(groups)))
        if group is not None:
            query = query.where(c.group_name == group)
        if status is not None:
            query = query.where(c.status == status)
        if kind is not None:
            query = query.where(c.kind == kind)
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def get_many(self, proposal_ids: Sequence[str]) -> list[Proposal]:
        """The proposals with their voters and current ballots, in the order given: three queries per 900 ids,
        however many proposals (a list never reads them one by one)."""
        found: dict[str, Proposal] = {}
        for start in range(0, len(proposal_ids), _CHUNK):
            chunk = list(proposal_ids[start : start + _CHUNK])
            for row in self.conn.execute(select(t.proposals).where(t.proposals.c.id.in_(chunk))).mappings():
                found[row["id"]] = _proposal(row)
            voters = select(t.proposal_voters).where(t.proposal_voters.c.proposal_id.in_(chunk))
            for row in self.conn.execute(voters).mappings():
                voter = _voter(row)
                found[row["proposal_id"]].voters[voter.name] = voter
            ballots = select(t.votes).where(t.votes.c.proposal_id.in_(chunk)).order_by(t.votes.c.cast_at)
            for row in self.conn.execute(ballots).mappings():
                ballot = _ballot(row)
                found[row["proposal_id"]].ballots[ballot.voter] = ballot
        return [found[i] for i in proposal_ids if i in found]

    def listing(
        self,
        groups: Sequence[str] | None,
        member: str,
        *,
        at: datetime,
        status: str | None = None,
        kind: str | None = None,
        group: str | None = None,
        live: bool | None = None,
        awaiting: bool = False,
        soonest_first: bool = False,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Summaries of the proposals in `groups` (None: all groups) with, for each, its counted voters and
        ballots and whether `member` is an eligible voter and has a current ballot: one query, however many.

        `live`: True keeps those still taking votes at `at` (open, deadline not passed), False the others.
        `awaiting`: only those waiting for `member`'s ballot (live, `member` eligible, no current ballot),
        found through the voter snapshot's (member, proposal) index. Newest first, or soonest deadline first
        (none last) with `soonest_first`."""
        c, pv, v = t.proposals.c, t.proposal_voters, t.votes
        counted = and_(pv.c.proposal_id == c.id, pv.c.advisory.is_(False))
        mine = exists().where(pv.c.proposal_id == c.id, pv.c.member == member)
        my_ballot = exists().where(v.c.proposal_id == c.id, v.c.voter == member)
        is_live = and_(c.status == "open", or_(c.deadline.is_(None), c.deadline > at))
        eligible = select(func.count()).select_from(pv).where(counted).scalar_subquery()
        ballots = (
            select(func.count())
            .select_from(v.join(pv, and_(pv.c.proposal_id == v.c.proposal_id, pv.c.member == v.c.voter)))
            .where(v.c.proposal_id == c.id, counted)
            .scalar_subquery()
        )
        query = select(
            *(c[name] for name in _SUMMARY),
            eligible.label("eligible"),
            ballots.label("ballots"),
            mine.label("eligible_voter"),
            my_ballot.label("voted"),
            is_live.label("live"),
        )
        if awaiting:
            # Driven from the member's side of the voter snapshot (its (member, proposal) index), then each
            # proposal by its key: the work follows what the member was asked, not every open proposal.
            me = pv.alias("me")
            query = query.select_from(
                t.proposals.join(me, and_(me.c.proposal_id == c.id, me.c.member == member))
            ).where(not_(my_ballot), is_live)
        if live is not None:
            query = query.where(is_live if live else not_(is_live))
        if groups is not None:
            query = query.where(c.group_name.in_(list(groups)))
        for column, value in (("group_name", group), ("status", status), ("kind", kind)):
            if value is not None:
                query = query.where(c[column] == value)
        if soonest_first:
            query = query.order_by(c.deadline.is_(None), c.deadline, c.created_at.desc(), c.id.desc())
        else:
            query = query.order_by(c.created_at.desc(), c.id.desc())
        rows = self.conn.execute(query.limit(limit)).mappings()
        return [
            {**r, "eligible_voter": bool(r["eligible_voter"]), "voted": bool(r["voted"]), "live": bool(r["live"])}
            for r in rows
        ]


def _ballot_values(proposal_id: str, b: Ballot) -> dict[str, Any]:
    return {
        "proposal_id": proposal_id,
        "voter": b.voter,
        "choice": b.shown(),
        "confidence": b.confidence,
        "comment": b.comment,
        "evidence": list(b.evidence),
        "cast_at": b.cast_at,
        "round": b.round,
    }


def _proposal(row: Mapping[Any, Any]) -> Proposal:
    rules = Rules(
        voting_type=row["voting_type"],
        options=tuple(row["options"]),
        threshold_type=row["threshold_type"],
        threshold=row["threshold"],
        quorum=row["quorum"],
        min_votes=row["min_votes"],
        weighted=bool(row["weighted"]),
        weighted_denominator=row["weighted_denominator"],
        allow_abstain=bool(row["allow_abstain"]),
    )
    return Proposal(
        id=row["id"],
        group=row["group_name"],
        title=row["title"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        rules=rules,
        description=row["description"],
        deadline=row["deadline"],
        subject=row["subject"],
        prevent_self_vote=bool(row["prevent_self_vote"]),
        on_no_consensus=tuple(row["on_no_consensus"] or ()),
        max_rounds=row["max_rounds"],
        domain=row["domain"],
        critical=bool(row["critical"]),
        kind=row["kind"],
        status=row["status"],
        round=row["round"],
        outcome=row["outcome"],
        resolution=row["resolution"],
        mitigation=row["mitigation"],
        finalized_at=row["finalized_at"],
        finalized_by=row["finalized_by"],
        payload=row["payload"],
    )


def _voter(row: Mapping[Any, Any], prefix: str = "") -> Voter:
    return Voter(
        name=row[prefix + "member"],
        kind=row[prefix + "kind"],
        weight=Fraction(row[prefix + "weight"]),
        advisory=bool(row[prefix + "advisory"]),
        veto=bool(row[prefix + "veto"]),
        expertise=tuple(row[prefix + "expertise"] or ()),
    )


def _ballot(row: Mapping[Any, Any], prefix: str = "") -> Ballot:
    raw = row[prefix + "choice"]
    return Ballot(
        voter=row[prefix + "voter"],
        choice=tuple(raw) if isinstance(raw, list) else raw,
        confidence=Fraction(row[prefix + "confidence"]),
        comment=row[prefix + "comment"],
        evidence=tuple(row[prefix + "evidence"] or ()),
        cast_at=row[prefix + "cast_at"],
        round=row[prefix + "round"],
    )

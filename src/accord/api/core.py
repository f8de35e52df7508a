"""Members, groups, proposals and events as operations."""

from __future__ import annotations

from typing import Any

from accord.api.base import ApiBase, parse_instant
from accord.domain.errors import ValidationError
from accord.domain.proposals import ProposalSpec


class CoreApi(ApiBase):
    def whoami(self) -> dict[str, Any]:
        return self.services.identity.whoami(self.actor)

    def create_member(self, name: str, kind: str = "agent", admin: bool = False) -> dict[str, Any]:
        return self.services.identity.create_member(self.actor, name, kind, admin)

    def issue_token(self, name: str, label: str | None = None, expires_in: str | None = None) -> dict[str, Any]:
        """A new token for `name`, optionally labelled and expiring (`30d`, at most 365 days); SPEC §1 rev. 2."""
        return self.services.tokens.issue(self.actor, name, label, expires_in)

    def list_tokens(self, name: str) -> list[dict[str, Any]]:
        """`name`'s tokens (ids, labels, instants, status), never the secret."""
        return self.services.tokens.list(self.actor, name)

    def revoke_token(self, name: str, token_id: str | None = None) -> dict[str, Any]:
        """Revoke one of `name`'s tokens (`tok_…`), or all of them without `token_id`."""
        return self.services.tokens.revoke(self.actor, name, token_id)

    def list_all_members(self) -> list[dict[str, Any]]:
        return self.services.identity.list_members(self.actor)

    def create_group(self, name: str, description: str = "") -> dict[str, Any]:
        return self.services.groups.create_group(self.actor, name, description)

    def list_groups(self) -> list[dict[str, Any]]:
        return self.services.groups.list_groups(self.actor)

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
        return self.services.groups.add_member(
            self.actor,
            group,
            member,
            role=role,
            weight=weight,
            advisory=advisory,
            veto=veto,
            expertise=expertise,
        )

    def remove_group_member(self, group: str, member: str) -> dict[str, Any]:
        return self.services.groups.remove_member(self.actor, group, member)

    def list_members(self, group: str) -> list[dict[str, Any]]:
        return self.services.groups.list_members(self.actor, group)

    def get_group_policy(self, group: str) -> dict[str, Any]:
        return self.services.groups.get_policy(self.actor, group)

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
        return self.services.groups.set_policy(
            self.actor,
            group,
            irreversible_pattern=irreversible_pattern,
            default_timeout_seconds=default_timeout_seconds,
            irreversible_human_approvals=irreversible_human_approvals,
            receipt_ttl_seconds=receipt_ttl_seconds,
            remind_after_seconds=remind_after_seconds,
            escalate_after_seconds=escalate_after_seconds,
            clear=clear,
        )

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
        """Open a proposal (SPEC §2.1); the group's members now are its eligible voters."""
        spec = ProposalSpec(
            group=group,
            title=title,
            description=description or "",
            voting_type=voting_type,
            options=options,
            threshold_type=threshold_type,
            threshold=threshold,
            quorum=quorum,
            min_votes=min_votes,
            weighted=weighted,
            weighted_denominator=weighted_denominator,
            deadline=parse_instant(deadline, "deadline"),
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
        )
        return self.services.proposals.create(self.actor, spec)

    def cast_vote(
        self,
        proposal_id: str,
        vote: str | list[str],
        comment: str | None = None,
        confidence: float | str | None = None,
        evidence: list[str] | None = None,
    ) -> dict[str, Any]:
        return self.services.proposals.vote(
            self.actor, proposal_id, vote, comment=comment, confidence=confidence, evidence=evidence
        )

    def get_proposal(self, proposal_id: str, history: bool = False) -> dict[str, Any]:
        return self.services.proposals.get(self.actor, proposal_id, with_history=history)

    def list_proposals(
        self, group: str | None = None, status: str | None = None, limit: int = 100, awaiting_me: bool = False
    ) -> list[dict[str, Any]]:
        return self.services.proposals.search(
            self.actor, group=group, status=status, limit=limit, awaiting_me=awaiting_me
        )

    def finalize_proposal(
        self, proposal_id: str, mitigation: str | None = None, force: bool = False, rationale: str | None = None
    ) -> dict[str, Any]:
        """Finalize once closable (SPEC §2.5), or `force` it fail-closed as a group owner/admin with a rationale."""
        return self.services.proposals.finalize(
            self.actor, proposal_id, mitigation=mitigation, force=force, rationale=rationale
        )

    def cancel_proposal(self, proposal_id: str) -> dict[str, Any]:
        return self.services.proposals.cancel(self.actor, proposal_id)

    def wait_proposal(self, proposal_id: str, timeout: float = 30) -> dict[str, Any]:
        return self.services.proposals.wait(self.actor, proposal_id, timeout)

    def list_events(self, after: int = 0, wait: float = 0, limit: int = 100) -> list[dict[str, Any]]:
        return self.services.events.feed(self.actor, _event_id(after), wait, limit)

    def audit(
        self, ref: str | None = None, after: int = 0, limit: int = 100, latest: int | None = None
    ) -> list[dict[str, Any]]:
        return self.services.events.audit(self.actor, ref, _event_id(after), limit, latest)


def _event_id(after: int) -> int:
    """`after` as an event id: 0 to 2^63 - 1 (64-bit ids), else a ValidationError naming it."""
    if not 0 <= after <= 2**63 - 1:
        raise ValidationError(f"after must be an event id from 0 to {2**63 - 1}, not {after}", field="after")
    return after

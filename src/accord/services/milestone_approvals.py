"""Asking again for a consensus checkpoint's approval (SPEC §3 rev. 2): a new linked proposal, same rule."""

from __future__ import annotations

from typing import Any

from accord.domain.errors import ConflictError, NotFoundError
from accord.domain.members import Member
from accord.services.milestone_base import MilestoneBase, note, repo
from accord.services.milestone_views import checkpoint_view, summary_view


class MilestoneApprovals(MilestoneBase):
    def request_approval(self, actor: Member, milestone_id: str, order: int) -> dict[str, Any]:
        """Open a new linked proposal for consensus checkpoint `order` whose latest proposal ended with any outcome
        but `passed`, or was cancelled. Same rule and voting group, created in the name of the checkpoint's
        creator (who does not vote on it); the old proposal stays in the record. Any group member may ask.

        Refused (ConflictError) with "checkpoint <n> of <ms> has an open proposal <id>", "checkpoint <n> of <ms>
        is already approved by <id>", or when the checkpoint needs no consensus; refused like adding the
        checkpoint when nobody could approve it now. Event `checkpoint.approval_requested`."""
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            m = self.load(uow, actor, milestone_id, lock="update")
            cp = self.checkpoint(uow, m, order)
            where = f"checkpoint {cp.order} of {m.id}"
            if cp.proposal_id is None or cp.consensus is None:
                raise ConflictError(
                    f"{where} does not require consensus: complete it with complete_checkpoint",
                    mentions=("complete_checkpoint",),
                    milestone_id=m.id,
                    order=cp.order,
                )
            old = uow.proposals.get(cp.proposal_id, for_update=True)
            if old is not None and old.status in ("open", "escalated"):
                raise ConflictError(
                    f"{where} has an open proposal {old.id}", milestone_id=m.id, order=cp.order, proposal_id=old.id
                )
            if old is not None and old.status == "finalized" and (old.outcome or {}).get("outcome") == "passed":
                raise ConflictError(
                    f"{where} is already approved by {old.id}", milestone_id=m.id, order=cp.order, proposal_id=old.id
                )
            creator = uow.members.get(cp.created_by)
            if creator is None:  # pragma: no cover - members are never deleted
                raise NotFoundError(f"member {cp.created_by} not found", member=cp.created_by)
            p = self.open_approval(uow, creator, m, cp.consensus, cp.title, cp.order, cp.id, now=now)
            previous = cp.proposal_id
            cp.proposal_id = p.id
            r = repo(uow)
            r.save_checkpoint(cp)
            note(
                uow,
                "checkpoint.approval_requested",
                m,
                actor,
                now,
                checkpoint_id=cp.id,
                order=cp.order,
                proposal_id=p.id,
                previous_proposal_id=previous,
                created_by=creator.name,
            )
            proposal = r.proposal_states([p.id]).get(p.id)
            result = {
                **summary_view(m),
                "milestone_id": m.id,
                "order": cp.order,
                "proposal_id": p.id,
                "previous_proposal_id": previous,
                "checkpoint": checkpoint_view(cp, r.dependencies(cp.id), proposal),
            }
            uow.commit()
        return result

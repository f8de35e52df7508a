"""Deliberation operations: human resolution, decision records, consultations, completion gates, sweeps."""

from __future__ import annotations

from typing import Any

from accord.api.base import ApiBase


class DeliberationApi(ApiBase):
    def resolve_proposal(
        self, proposal_id: str, decision: str, rationale: str, mitigation: str | None = None
    ) -> dict[str, Any]:
        return self.services.deliberation.resolve(self.actor, proposal_id, decision, rationale, mitigation)

    def get_decision_record(self, proposal_id: str) -> dict[str, Any]:
        return self.services.deliberation.decision_record(self.actor, proposal_id)

    def create_consultation(
        self, group: str, title: str, description: str = "", questions: dict[str, str] | None = None
    ) -> dict[str, Any]:
        return self.services.deliberation.create_consultation(self.actor, group, title, description, questions)

    def submit_contribution(self, consultation_id: str, decisions: list[dict[str, Any]]) -> dict[str, Any]:
        return self.services.deliberation.submit_contribution(self.actor, consultation_id, decisions)

    def get_consultation(self, consultation_id: str) -> dict[str, Any]:
        return self.services.deliberation.get_consultation(self.actor, consultation_id)

    def list_consultations(
        self, group: str | None = None, flagged: bool = False, limit: int = 100
    ) -> list[dict[str, Any]]:
        return self.services.deliberation.list_consultations(self.actor, group=group, flagged=flagged, limit=limit)

    def create_completion_gate(
        self,
        group: str,
        title: str,
        participants: list[str],
        min_completions: int = 2,
        window_seconds: int = 60,
        nudge_after_seconds: int = 30,
        fallback_timeout: int = 120,
    ) -> dict[str, Any]:
        return self.services.deliberation.create_completion_gate(
            self.actor,
            group,
            title,
            participants,
            min_completions=min_completions,
            window_seconds=window_seconds,
            nudge_after_seconds=nudge_after_seconds,
            fallback_timeout=fallback_timeout,
        )

    def signal_completion(self, gate_id: str, signal: str = "complete", note: str | None = None) -> dict[str, Any]:
        return self.services.deliberation.signal_completion(self.actor, gate_id, signal, note)

    def get_completion_gate(self, gate_id: str) -> dict[str, Any]:
        return self.services.deliberation.get_completion_gate(self.actor, gate_id)

    def list_completion_gates(
        self, group: str | None = None, status: str | None = None, awaiting_me: bool = False, limit: int = 100
    ) -> list[dict[str, Any]]:
        return self.services.deliberation.list_completion_gates(
            self.actor, group=group, status=status, awaiting_me=awaiting_me, limit=limit
        )

    def sweep(self) -> dict[str, Any]:
        """Run every due job now (deadlines, gate expiry, reminders); store administrators only (SPEC §13)."""
        from accord.services.access import require_admin
        from accord.services.sweeper import sweep_all

        require_admin(self.actor, "sweep")
        return sweep_all(self.services)

"""Completion gates (SPEC §6, seed 004's dual completion): signals, nudges, fallbacks and the sweep."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from accord.domain import completion as cg
from accord.domain.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from accord.domain.members import Member
from accord.domain.proposals import MAX_COMMENT, check_text
from accord.services.access import require_group, visible_groups
from accord.services.context import Context, record
from accord.services.ids import new_id
from accord.services.notices import send_system
from accord.services.proposals import MAX_LIMIT, check_limit, iso
from accord.storage.deliberation_repository import DeliberationRepository
from accord.storage.uow import UnitOfWork


class CompletionGates:
    """The completion-gate operations of DeliberationService. Time-based transitions are computed from the
    stored signals against the injected clock on every read; `sweep` records them and sends the notices."""

    ctx: Context

    def create_completion_gate(
        self,
        actor: Member,
        group: str,
        title: str,
        participants: list[str],
        min_completions: int = 2,
        window_seconds: int = 60,
        nudge_after_seconds: int = 30,
        fallback_timeout: int = 120,
        ref: str | None = None,
    ) -> dict[str, Any]:
        """Open a completion gate: it closes when `min_completions` participants signal `complete` within
        `window_seconds`, or by the fallback `fallback_timeout` seconds after the first completion."""
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            row = open_gate(
                uow,
                actor,
                group,
                title,
                participants,
                min_completions=min_completions,
                window_seconds=window_seconds,
                nudge_after_seconds=nudge_after_seconds,
                fallback_timeout=fallback_timeout,
                ref=ref,
                now=now,
            )
            uow.commit()
        return _gate_view(row, [], now)

    def signal_completion(
        self, actor: Member, gate_id: str, signal: str = cg.COMPLETE, note: str | None = None
    ) -> dict[str, Any]:
        """A participant signals `complete` or `needs_revision`; repeats are recorded but do not count."""
        kind = cg.check_signal(signal)
        if note is not None and len(note) > MAX_COMMENT:
            raise ValidationError(f"note is {len(note)} characters; at most {MAX_COMMENT} allowed", field="note")
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            repo = DeliberationRepository(uow.conn)
            row = self._gate(uow, repo, actor, gate_id, for_update=True)
            if actor.name not in row["participants"]:
                raise ForbiddenError(
                    f"{actor.name} is not a participant of completion gate {gate_id}: participants are "
                    f"{', '.join(row['participants'])}",
                    completion_gate_id=gate_id,
                )
            state = cg.evaluate(_config(row), repo.signals(gate_id), now)
            if not state.is_open:
                raise ConflictError(
                    f"completion gate {gate_id} is closed ({state.status} at {iso(state.closed_at)})",
                    completion_gate_id=gate_id,
                    status=state.status,
                )
            repo.add_signal(gate_id, actor.name, kind, now, note)
            signals = repo.signals(gate_id)
            before, state = state, cg.evaluate(_config(row), signals, now)
            counted = len(state.counted) > len(before.counted)  # the new signal is the latest: counted or not
            record(
                uow,
                "completion.signalled",
                at=now,
                actor=actor.name,
                group=row["group_name"],
                ref=gate_id,
                signal=kind,
                counted=counted,
            )
            self._settle(uow, repo, row, state, now)
            uow.commit()
        return {**_gate_view(row, signals, now), "counted": counted}

    def get_completion_gate(self, actor: Member, gate_id: str) -> dict[str, Any]:
        """The gate's state now, computed from its signals and the clock."""
        now = self.ctx.now()
        with self.ctx.uow(write=False) as uow:
            repo = DeliberationRepository(uow.conn)
            row = self._gate(uow, repo, actor, gate_id)
            signals = repo.signals(gate_id)
        return _gate_view(row, signals, now)

    def list_completion_gates(
        self,
        actor: Member,
        *,
        group: str | None = None,
        status: str | None = None,
        awaiting_me: bool = False,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Completion gates of the caller's groups, newest first, each as `get_completion_gate` shows it.
        status: `open` or `closed` (any closing: consensus_complete, single_agent_complete). awaiting_me:
        only open gates where the caller is a participant still expected to signal. Two queries."""
        if status is not None and status not in ("open", "closed"):
            raise ValidationError(f"status {status!r} is not allowed: use open or closed", field="status")
        check_limit(limit)
        now = self.ctx.now()
        only_open = status == "open" or awaiting_me
        with self.ctx.uow(write=False) as uow:
            if group is not None:
                require_group(uow, actor, group)
            repo = DeliberationRepository(uow.conn)
            # A closed gate's closing may not be recorded yet, so `closed` reads past `limit` and filters.
            fetch = limit if status is None or only_open else MAX_LIMIT
            rows = repo.gates(visible_groups(uow, actor), group=group, recorded_open=only_open, limit=fetch)
            signals = repo.signals_of([r["id"] for r in rows])
        listed = []
        for row in rows:
            view = _gate_view(row, signals[row["id"]], now)
            is_open = view["status"] == cg.OPEN
            if (status == "open" and not is_open) or (status == "closed" and is_open):
                continue
            if awaiting_me and not (is_open and actor.name in view["pending"]):
                continue
            listed.append(view)
        return listed[:limit]

    def gate_state_in(self, uow: UnitOfWork, gate_id: str, now: datetime) -> dict[str, Any] | None:
        """A gate's view inside the caller's unit of work, without access checks (for milestone checkpoints)."""
        repo = DeliberationRepository(uow.conn)
        row = repo.gate(gate_id)
        return None if row is None else _gate_view(row, repo.signals(gate_id), now)

    def sweep(self, now: datetime | None = None) -> dict[str, Any]:
        """Send the notices that are due (nudges, fallback closings) and record closings; idempotent."""
        now = now or self.ctx.now()
        with self.ctx.uow(write=False) as uow:
            ids = DeliberationRepository(uow.conn).open_gate_ids()
        nudged = closed = 0
        for gate_id in ids:
            with self.ctx.uow() as uow:
                repo = DeliberationRepository(uow.conn)
                row = repo.gate(gate_id, for_update=True)
                if row is None or row["status"] != cg.OPEN:
                    continue
                done = self._settle(uow, repo, row, cg.evaluate(_config(row), repo.signals(gate_id), now), now)
                uow.commit()
            nudged += done == "nudged"
            closed += done == "closed"
        return {"at": now.isoformat(), "checked": len(ids), "nudged": nudged, "closed": closed}

    def _gate(
        self, uow: UnitOfWork, repo: DeliberationRepository, actor: Member, gate_id: str, *, for_update: bool = False
    ) -> dict[str, Any]:
        row = repo.gate(gate_id, for_update=for_update)
        try:
            if row is None:
                raise NotFoundError("")
            require_group(uow, actor, row["group_name"])
        except NotFoundError:
            raise NotFoundError(f"completion gate {gate_id} not found", completion_gate_id=gate_id) from None
        return row

    def _settle(
        self, uow: UnitOfWork, repo: DeliberationRepository, row: dict[str, Any], state: cg.GateState, now: datetime
    ) -> str | None:
        """Record a closing the first time it is seen, or send the epoch's one nudge when it is due."""
        gate_id, group = row["id"], row["group_name"]
        if not state.is_open and row["status"] == cg.OPEN:
            repo.close_gate(gate_id, status=state.status, warning=state.warning, closed_at=state.closed_at)
            row.update(status=state.status, warning=state.warning, closed_at=state.closed_at)
            record(
                uow,
                "completion_gate.closed",
                at=now,
                actor=None,
                group=group,
                ref=gate_id,
                status=state.status,
                warning=state.warning,
                closed_at=state.closed_at,
            )
            warning = f" with warning {state.warning}" if state.warning else ""
            send_system(
                uow,
                group=group,
                to=list(dict.fromkeys([*row["participants"], row["created_by"]])),
                type="NOTICE",
                subject=row["title"],
                content=f"Completion gate {row['title']!r} closed as {state.status}{warning}.",
                payload={"completion_gate_id": gate_id, "status": state.status, "warning": state.warning},
                at=now,
            )
            return "closed"
        if state.nudge_due(now, row["nudged_epoch"]):
            repo.set_nudged(gate_id, state.epoch)
            row["nudged_epoch"] = state.epoch
            record(uow, "completion_gate.nudged", at=now, actor=None, group=group, ref=gate_id, to=list(state.pending))
            send_system(
                uow,
                group=group,
                to=list(state.pending),
                type="NOTICE",
                subject=row["title"],
                content=cg.NUDGE_TEXT,
                payload={"completion_gate_id": gate_id, "kind": "nudge", "completed": sorted(state.completions)},
                at=now,
            )
            return "nudged"
        return None


def open_gate(
    uow: UnitOfWork,
    actor: Member,
    group: str,
    title: str,
    participants: list[str],
    *,
    min_completions: object = 2,
    window_seconds: object = 60,
    nudge_after_seconds: object = 30,
    fallback_timeout: object = 120,
    ref: str | None = None,
    now: datetime,
) -> dict[str, Any]:
    """`create_completion_gate` inside the caller's unit of work (a milestone checkpoint opens one so)."""
    check_text(title, "")
    config = cg.check_config(participants, min_completions, window_seconds, nudge_after_seconds, fallback_timeout)
    require_group(uow, actor, group)
    members = {m.member for m in uow.groups.memberships(group)}
    strangers = [p for p in config.participants if p not in members]
    if strangers:
        raise ValidationError(
            f"participants must be members of group {group}; not members: {', '.join(strangers)}",
            field="participants",
        )
    row: dict[str, Any] = {
        "id": new_id("cg"),
        "group_name": group,
        "title": title.strip(),
        "participants": list(config.participants),
        "min_completions": config.min_completions,
        "window_seconds": config.window_seconds,
        "nudge_after_seconds": config.nudge_after_seconds,
        "fallback_timeout": config.fallback_timeout,
        "status": cg.OPEN,
        "warning": None,
        "closed_at": None,
        "nudged_epoch": None,
        "ref": ref,
        "created_by": actor.name,
        "created_at": now,
    }
    DeliberationRepository(uow.conn).add_gate(row)
    record(uow, "completion_gate.created", at=now, actor=actor.name, group=group, ref=row["id"], title=title)
    send_system(
        uow,
        group=group,
        to=list(config.participants),
        type="NOTICE",
        subject=row["title"],
        content=f"When {row['title']!r} is done, signal complete (or needs_revision) on gate {row['id']}.",
        payload={"completion_gate_id": row["id"], "min_completions": config.min_completions},
        at=now,
    )
    return row


CHECKPOINT_GATE_FIELDS = (
    "min_completions",
    "window_seconds",
    "nudge_after_seconds",
    "fallback_timeout",
    "participants",
)


def open_checkpoint_gate(
    uow: UnitOfWork,
    actor: Member,
    group: str,
    title: str,
    settings: dict[str, Any],
    *,
    ref: str,
    now: datetime,
    where: str,
) -> str:
    """Open the completion gate of a milestone checkpoint (SPEC §3 `completion_gate: {min_completions, ...}`)
    in the caller's transaction; participants default to the group's non-advisory members. Returns the
    gate's id (found again by `ref`)."""
    unknown = sorted(set(settings) - set(CHECKPOINT_GATE_FIELDS))
    if unknown:
        raise ValidationError(
            f"{where} completion_gate has unknown field(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(CHECKPOINT_GATE_FIELDS)}",
            field="completion_gate",
        )
    participants = settings.get("participants")
    if participants is None:
        participants = [m.member for m in uow.groups.memberships(group) if not m.settings.advisory]
    options = {k: settings[k] for k in CHECKPOINT_GATE_FIELDS[:4] if k in settings}
    try:
        row = open_gate(
            uow, actor, group, f"Complete checkpoint: {title}"[:200], participants, ref=ref, now=now, **options
        )
    except ValidationError as exc:
        raise ValidationError(f"{where} completion_gate: {exc.message}", **exc.details) from None
    return str(row["id"])


def require_gate_closed(uow: UnitOfWork, ref: str, now: datetime) -> dict[str, Any] | None:
    """The gate guarding `ref` once it is closed (consensus_complete, or the fallback's single_agent_complete);
    ConflictError while it is open, naming who has signalled and who is awaited. None when nothing guards it."""
    repo = DeliberationRepository(uow.conn)
    row = repo.gate_for_ref(ref)
    if row is None:
        return None
    gate_id = row["id"]
    view = _gate_view(row, repo.signals(gate_id), now)
    if view["status"] == cg.OPEN:
        done = [c["member"] for c in view["completions"]]
        raise ConflictError(
            f"completion gate {gate_id} is open: {len(done)} of {view['min_completions']} completions"
            + (f" ({', '.join(done)})" if done else "")
            + f"; waiting for {', '.join(view['pending'])} to signal completion (signal_completion)",
            mentions=("signal_completion",),
            completion_gate_id=gate_id,
            pending=view["pending"],
        )
    return view


def _config(row: dict[str, Any]) -> cg.GateConfig:
    return cg.GateConfig(
        participants=tuple(row["participants"]),
        min_completions=row["min_completions"],
        window_seconds=row["window_seconds"],
        nudge_after_seconds=row["nudge_after_seconds"],
        fallback_timeout=row["fallback_timeout"],
    )


def _gate_view(row: dict[str, Any], signals: list[cg.Signal], now: datetime) -> dict[str, Any]:
    state = cg.evaluate(_config(row), signals, now)
    return {
        "id": row["id"],
        "group": row["group_name"],
        "title": row["title"],
        "ref": row["ref"],
        "participants": list(row["participants"]),
        "min_completions": row["min_completions"],
        "window_seconds": row["window_seconds"],
        "nudge_after_seconds": row["nudge_after_seconds"],
        "fallback_timeout": row["fallback_timeout"],
        "status": state.status,
        "done": not state.is_open,
        "warning": state.warning,
        "closed_at": iso(state.closed_at),
        "epoch": state.epoch,
        "completions": [
            {"member": m, "at": iso(at)} for m, at in sorted(state.completions.items(), key=lambda x: x[1])
        ],
        "pending": list(state.pending),
        "first_completion_at": iso(state.first_completion_at),
        "nudge_at": iso(state.nudge_at),
        "fallback_at": iso(state.fallback_at),
        "nudged": row["nudged_epoch"] == state.epoch and state.first_completion_at is not None,
        "signals": [{"member": s.member, "signal": s.signal, "at": iso(s.at)} for s in signals],
        "created_by": row["created_by"],
        "created_at": iso(row["created_at"]),
    }

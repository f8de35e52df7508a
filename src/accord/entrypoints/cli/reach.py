"""`accord member channel add|list|remove` and `accord member time-zone`: where a member is told (SPEC §11)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from accord.entrypoints.cli import core
from accord.entrypoints.cli.common import JsonFlag, call, emit, new_app, out, show_table, split_list

channel_app = new_app(
    "Where a member is told (SPEC §11): Apprise URLs such as mailto://, slack://, ntfy://, json://. Secrets in a "
    "URL are shown only masked after `add`."
)


def register(app: typer.Typer) -> None:
    """Add `member channel` and `member time-zone` under the `member` group."""
    core.member_app.add_typer(channel_app, name="channel")
    core.member_app.command("time-zone")(member_time_zone)


@channel_app.command("add")
def channel_add(
    name: Annotated[str, typer.Argument(help="The member to tell (yourself, or anyone as an administrator).")],
    url: Annotated[str, typer.Argument(help="An Apprise URL, e.g. mailto://user:pass@example.com or slack://…")],
    events: Annotated[
        list[str] | None,
        typer.Option(
            "--events",
            help="Notices to receive (repeat or comma-separate): vote.requested, vote.reminder, proposal.escalated, "
            "proposal.decided, gate.decided, checkpoint.ready, or a pattern such as 'vote.*'. Default: every notice "
            "but checkpoint.ready.",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Register a channel (Apprise URL) where a member is told; prints its id and the masked URL. Only allow-listed
    schemes (mail, chat, push, json/xml/form over http(s)); hosts on private addresses are refused unless
    ACCORD_ALLOW_PRIVATE_TARGETS=1."""
    result = call(lambda api: api.add_channel(name, url, split_list(events)))
    emit(result, as_json, lambda r: out.print(f"{r['id']}  {r['url']}", markup=False))


@channel_app.command("list")
def channel_list(
    name: Annotated[str, typer.Argument(help="Whose channels.")],
    as_json: JsonFlag = False,
) -> None:
    """A member's channels (URLs masked) and time zone."""
    result = call(lambda api: api.list_channels(name))

    def human(r: dict[str, Any]) -> None:
        out.print(f"{r['member']}: time zone {r['time_zone'] or 'UTC (not set)'}", markup=False)
        rows = [{**c, "events": ", ".join(c["events"] or ["(all but opt-in)"])} for c in r["channels"]]
        show_table(rows, ["id", "scheme", "url", "events", "created_at"])

    emit(result, as_json, human)


@channel_app.command("remove")
def channel_remove(
    name: Annotated[str, typer.Argument(help="Whose channel.")],
    channel_id: Annotated[str, typer.Argument(help="The channel's id (ch_…), from `accord member channel list`.")],
    as_json: JsonFlag = False,
) -> None:
    """Stop telling a member on one channel."""
    result = call(lambda api: api.remove_channel(name, channel_id))
    emit(result, as_json, lambda r: out.print(f"removed {r['id']} ({r['url']})", markup=False))


def member_time_zone(
    name: Annotated[str, typer.Argument(help="The member.")],
    time_zone: Annotated[str, typer.Argument(help="An IANA time zone such as Europe/Paris; '' clears it (UTC).")],
    as_json: JsonFlag = False,
) -> None:
    """Set the time zone a member's notices show deadlines in."""
    result = call(lambda api: api.set_time_zone(name, time_zone or None))
    emit(result, as_json, lambda r: out.print(f"{r['member']}: {r['time_zone'] or 'UTC'}", markup=False))

"""What every CLI command shares: the backend (local store or server), output, and exit codes."""

from __future__ import annotations

import json
import re
import sqlite3
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated, Any, NoReturn

import psycopg
import typer
from rich.console import Console
from rich.text import Text
from sqlalchemy.exc import OperationalError
from typer.core import TyperGroup

from accord.domain.errors import AccordError, UnavailableError
from accord.entrypoints.cli.present import table, text
from accord.settings import Settings

# Exit codes (SPEC §5).
APPROVED, REJECTED, VETOED, PENDING = 0, 1, 2, 3
USAGE, INVALID, NOT_FOUND, UNAVAILABLE, CONFLICT, NOT_PERMITTED = 64, 65, 66, 69, 75, 77

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


# Typer vendors its own click; its UsageError is BadParameter's base.
UsageError: type[Exception] = typer.BadParameter.__mro__[1]


class AccordGroup(TyperGroup):
    """Usage errors exit 64 (EX_USAGE), never click's 2, which scripts read as 'vetoed'."""

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().make_context(*args, **kwargs)
        except UsageError as exc:
            exc.exit_code = USAGE  # type: ignore[attr-defined]
            raise

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            exc.exit_code = USAGE  # type: ignore[attr-defined]
            raise


def new_app(help: str, *, completion: bool = False) -> typer.Typer:
    """A command group; the root one (`completion=True`) also offers Typer's --install/--show-completion."""
    return typer.Typer(cls=AccordGroup, help=help, no_args_is_help=True, add_completion=completion)


# The operations by their MCP/REST names, as the CLI names them: a refusal that tells the caller what to do next
# names the command a person at a shell would type (tests check every entry against both faces).
COMMANDS = {
    "whoami": "accord member whoami",
    "list_groups": "accord group list",
    "list_members": "accord group members",
    "create_proposal": "accord proposal create",
    "cast_vote": "accord proposal vote",
    "get_proposal": "accord proposal show",
    "list_proposals": "accord proposal list",
    "finalize_proposal": "accord proposal finalize",
    "cancel_proposal": "accord proposal cancel",
    "wait_proposal": "accord proposal wait",
    "resolve_proposal": "accord proposal resolve",
    "get_decision_record": "accord proposal record",
    "create_milestone": "accord milestone create",
    "get_milestone": "accord milestone show",
    "list_milestones": "accord milestone list",
    "complete_checkpoint": "accord milestone complete",
    "update_checkpoint": "accord milestone update",
    "add_checkpoint": "accord milestone add-checkpoint",
    "delete_checkpoint": "accord milestone delete-checkpoint",
    "reopen_milestone": "accord milestone reopen",
    "request_checkpoint_approval": "accord milestone request-approval",
    "gate_request": "accord gate request",
    "gate_vote": "accord gate vote",
    "gate_tally": "accord gate tally",
    "gate_wait": "accord gate wait",
    "gate_close": "accord gate close",
    "gate_list": "accord gate list",
    "gate_verify": "accord gate verify",
    "send_message": "accord inbox send",
    "check_inbox": "accord inbox list",
    "recv_message": "accord inbox recv",
    "peek_message": "accord inbox peek",
    "mark_message_read": "accord inbox mark-read",
    "claim_message": "accord inbox claim",
    "complete_message": "accord inbox complete",
    "release_message": "accord inbox release",
    "create_consultation": "accord consult create",
    "submit_contribution": "accord consult submit",
    "get_consultation": "accord consult show",
    "list_consultations": "accord consult list",
    "create_completion_gate": "accord completion create",
    "signal_completion": "accord completion signal",
    "get_completion_gate": "accord completion show",
    "list_completion_gates": "accord completion list",
    "sweep": "accord sweep",
    "list_tokens": "accord member tokens",
    "revoke_token": "accord member revoke",
    "verify_receipt": "accord receipt verify",
    "redeem_receipt": "accord receipt redeem",
    "add_channel": "accord member channel add",
    "list_channels": "accord member channel list",
    "remove_channel": "accord member channel remove",
    "add_webhook": "accord webhook add",
    "list_webhooks": "accord webhook list",
    "remove_webhook": "accord webhook remove",
    "list_deliveries": "accord webhook deliveries",
    "redeliver": "accord webhook redeliver",
}


def cli_message(exc: AccordError) -> str:
    """The refusal's message with the operations it names (and only those) spelled as CLI commands."""
    message = exc.message
    for name in exc.mentions:
        if name in COMMANDS:
            message = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", COMMANDS[name], message)
    return message


def fail(exc: AccordError) -> NoReturn:
    err.print(f"error: {cli_message(exc)}", markup=False)
    raise typer.Exit(exc.exit_code)


@contextmanager
def handled() -> Iterator[None]:
    """Turn Accord's refusals into their documented exit codes, with the message on stderr (one line)."""
    try:
        yield
    except AccordError as exc:
        fail(exc)
    except OperationalError as exc:
        fail(UnavailableError(f"the store is unavailable: {one_line(str(exc.orig))}"))
    except (sqlite3.OperationalError, psycopg.OperationalError) as exc:  # raised past SQLAlchemy (prepared statements)
        fail(UnavailableError(f"the store is unavailable: {one_line(str(exc))}"))


def one_line(text: str) -> str:
    """A driver's message on one line (psycopg's span several)."""
    return " ".join(text.split()) or "no reason given"


def backend() -> Any:
    """The operations as the caller: against ACCORD_URL when set, else the local store (ACCORD_DATABASE_URL)."""
    settings = Settings()
    if settings.url:
        from accord.client import AccordClient

        return AccordClient(settings.url, settings.token)
    from accord.api import Api
    from accord.bootstrap import build_services

    services = build_services(settings.database_url, existing=True)
    return Api(services, services.identity.authenticate(settings.token))


def call(op: Callable[[Any], Any]) -> Any:
    """Run one operation against the backend, mapping refusals to exit codes; its connections are closed after."""
    with handled():
        api = backend()
        try:
            return op(api)
        finally:
            release(api)


def release(api: Any) -> None:
    """Close what `backend()` opened: the store's pooled connections, or the HTTP client."""
    services = getattr(api, "services", None)
    if services is not None:
        services.ctx.engine.dispose()
    elif hasattr(api, "close"):
        api.close()


def emit(data: Any, as_json: bool, human: Callable[[Any], None] | None = None) -> None:
    """Print `data` as JSON, or for a person."""
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
        return
    if human is not None:
        human(data)
    elif isinstance(data, list):
        show_table(data)
    elif isinstance(data, dict):
        show_fields(data)
    elif data is not None:
        out.print(str(data), markup=False)


def show_fields(data: dict[str, Any], keys: Sequence[str] | None = None) -> None:
    """`key: value` lines for a person (empty values left out; no Python reprs)."""
    for key in keys or list(data):
        value = data.get(key)
        if value is None or (isinstance(value, dict | list | str) and not value):
            continue
        line = Text.assemble((key, "bold"), ": ", text(value, key))
        out.print(line)


def show_table(rows: list[dict[str, Any]], columns: Sequence[str] | None = None) -> None:
    """A table whose ids, names and instants are never cut, whatever the terminal's width."""
    if not rows:
        out.print("(none)")
        return
    with out.capture() as captured:
        out.print(table(rows, list(columns or rows[0].keys()), out.width))
    out.file.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))  # no trailing blanks


def split_list(values: list[str] | None) -> list[str] | None:
    """Options given repeatedly and/or comma-separated, as one list."""
    if not values:
        return None
    return [part.strip() for v in values for part in v.split(",") if part.strip()]

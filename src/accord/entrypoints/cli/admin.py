"""`accord admin`: store administration that works only on the store itself (SPEC §1 rev. 2)."""

from __future__ import annotations

import getpass
from typing import Annotated, Any

import typer

from accord.entrypoints.cli.common import USAGE, JsonFlag, emit, err, handled, new_app, out
from accord.settings import Settings

admin_app = new_app("Store administration directly on the store (ACCORD_DATABASE_URL), never through a server.")


def register(app: typer.Typer) -> None:
    app.add_typer(admin_app, name="admin")


@admin_app.command("recover")
def recover(
    member: Annotated[str, typer.Option("--member", help="Whose token to issue (default: admin).")] = "admin",
    as_json: JsonFlag = False,
) -> None:
    """Issue a new token for `admin` (or --member NAME) when its tokens are lost, working directly on the store
    (ACCORD_DATABASE_URL): whoever can open the store file or database can get back in. No ACCORD_TOKEN is
    needed. Refused (exit 64) when ACCORD_URL is set: recovery never goes through REST or MCP. Recorded in the
    audit log as `token.recovered`. The new token is printed once."""
    from accord.bootstrap import build_services

    settings = Settings()
    if settings.url:
        err.print(
            "error: `accord admin recover` works only on the store itself (ACCORD_DATABASE_URL), never through a "
            f"server: unset ACCORD_URL ({settings.url}) and run it where the store is",
            markup=False,
        )
        raise typer.Exit(USAGE)
    with handled():
        services = build_services(settings.database_url, existing=True)
        try:
            result = services.tokens.recover(member, by=_os_user())
        finally:
            services.close()

    def human(r: dict[str, Any]) -> None:
        out.print(r["token"], markup=False)
        err.print(
            f"new token {r['id']} for {r['name']} (shown only now); revoke lost ones with "
            f"`accord member revoke {r['name']} --token tok_…`",
            markup=False,
        )

    emit(result, as_json, human)


def _os_user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in this environment (some containers)
        return None

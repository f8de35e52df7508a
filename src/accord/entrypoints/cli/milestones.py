"""CLI commands of the milestones feature: `accord milestone ...` (SPEC §3)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from accord.domain.errors import ValidationError
from accord.entrypoints.cli.common import JsonFlag, call, emit, fail, new_app, out, show_table, split_list

milestone_app = new_app("Milestones: checkpoints with dependencies, completed in order, gated by consensus.")

DependsOn = Annotated[
    list[str] | None,
    typer.Option(help='Orders of this milestone or "ms_id:order" (repeat or comma-separate).'),
]


def register(app: typer.Typer) -> None:
    """Add this feature's command groups to `app`."""
    app.add_typer(milestone_app, name="milestone")


# -- output ------------------------------------------------------------------------------------------------


def _cell(values: list[Any]) -> str:
    return ", ".join(str(v) for v in values)


def show_milestone(m: dict[str, Any]) -> None:
    p = m["progress"]
    out.print(f"{m['id']}  {m['title']}", markup=False)
    project = f", project {m['project_id']}" if m.get("project_id") else ""
    out.print(f"group {m['group']}{project} · {m['status']} · {p['completed']} of {p['total']} completed", markup=False)
    rows = [
        {
            "order": cp["order"],
            "title": cp["title"],
            "status": cp["status"],
            "depends_on": _cell(cp["depends_on"]),
            "blocked_by": _cell(cp["blocked_by"]),
            "proposal": cp["proposal_id"] or "",
            "completed_by": cp["completed_by"] or "",
        }
        for cp in m.get("checkpoints", [])
    ]
    if rows:
        show_table(rows)


def show_summary(m: dict[str, Any]) -> None:
    p = m["progress"]
    out.print(f"{m['id']}: {m['status']}, {p['completed']} of {p['total']} completed", markup=False)


def show_checkpoint_change(r: dict[str, Any]) -> None:
    cp = r["checkpoint"]
    out.print(f"{r['milestone_id']} checkpoint {cp['order']}: {cp['title']} ({cp['status']})", markup=False)
    if r.get("reopened"):
        out.print("milestone reopened", markup=False)


def show_completion(r: dict[str, Any]) -> None:
    cp = r["checkpoint"]
    verb = "was already completed" if r["already_completed"] else "completed"
    out.print(f"checkpoint {cp['order']} ({cp['title']}) {verb}", markup=False)
    if r["unblocked"]:
        out.print(f"unblocked: {_cell(r['unblocked'])}", markup=False)
    p = r["progress"]
    closed = "; milestone closed" if r["milestone_closed"] else ""
    out.print(f"{p['completed']} of {p['total']} completed{closed}", markup=False)


# -- input -------------------------------------------------------------------------------------------------


def read_spec(path: Path) -> dict[str, Any]:
    """A YAML or JSON file shaped like the seed's `create_milestone:` block (the key itself is optional)."""
    try:
        text = path.read_text()
    except OSError as exc:
        fail(ValidationError(f"cannot read {path}: {exc.strerror}", field="file"))
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        fail(ValidationError(f"{path} is not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {exc}"))
    if isinstance(data, dict) and isinstance(data.get("create_milestone"), dict):
        data = data["create_milestone"]
    allowed = {"title", "group", "description", "project_id", "checkpoints"}
    if not isinstance(data, dict) or not set(data) <= allowed:
        extra = sorted(set(data) - allowed) if isinstance(data, dict) else []
        fail(
            ValidationError(
                f"{path} must hold a milestone object with {', '.join(sorted(allowed))}"
                + (f"; unknown: {', '.join(map(str, extra))}" if extra else ""),
                field="file",
            )
        )
    return data


# -- commands ----------------------------------------------------------------------------------------------


@milestone_app.command("create")
def milestone_create(
    title: Annotated[str | None, typer.Option(help="The milestone's title.")] = None,
    group: Annotated[str | None, typer.Option(help="Its group (default: your only group).")] = None,
    project: Annotated[str | None, typer.Option("--project", "--project-id", help="Project id.")] = None,
    description: Annotated[str | None, typer.Option(help="What the milestone is for.")] = None,
    checkpoint: Annotated[list[str] | None, typer.Option(help="A checkpoint title (repeat, in order).")] = None,
    sequential: Annotated[
        bool, typer.Option("--sequential", help="Make each --checkpoint depend on the one before.")
    ] = False,
    file: Annotated[
        Path | None, typer.Option("--file", help="YAML or JSON like the seed's create_milestone block.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a milestone from --file and/or options (options win); prints its id."""
    spec: dict[str, Any] = read_spec(file) if file is not None else {}
    for key, value in (("title", title), ("group", group), ("project_id", project), ("description", description)):
        if value is not None:
            spec[key] = value
    if checkpoint:
        spec["checkpoints"] = [
            {"title": t, **({"depends_on": [i]} if sequential and i > 0 else {})} for i, t in enumerate(checkpoint)
        ]
    if not spec.get("title"):
        raise typer.BadParameter("give --title (or a title in --file)", param_hint="--title")
    result = call(
        lambda api: api.create_milestone(
            title=spec["title"],
            checkpoints=spec.get("checkpoints") or [],
            group=spec.get("group"),
            description=spec.get("description") or "",
            project_id=spec.get("project_id"),
        )
    )
    emit(result, as_json, lambda r: out.print(r["id"], markup=False))


@milestone_app.command("show")
def milestone_show(milestone_id: str, as_json: JsonFlag = False) -> None:
    """A milestone with each checkpoint's status, dependencies, what blocks it, and its approval proposal."""
    emit(call(lambda api: api.get_milestone(milestone_id)), as_json, show_milestone)


@milestone_app.command("list")
def milestone_list(
    group: Annotated[str | None, typer.Option(help="Only this group.")] = None,
    project: Annotated[str | None, typer.Option("--project", "--project-id", help="Only this project.")] = None,
    status: Annotated[str | None, typer.Option(help="active or closed.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many (1-500).")] = 100,
    as_json: JsonFlag = False,
) -> None:
    """Milestones of your groups, newest first, with progress."""
    rows = call(lambda api: api.list_milestones(group, project, status, limit))

    def human(rs: list[dict[str, Any]]) -> None:
        show_table(
            [{**r, "progress": f"{r['progress']['completed']}/{r['progress']['total']}"} for r in rs],
            ["id", "status", "progress", "group", "title"],
        )

    emit(rows, as_json, human)


@milestone_app.command("complete")
def milestone_complete(
    milestone_id: str,
    order: Annotated[int, typer.Argument(help="The checkpoint's order (1..n).")],
    as_json: JsonFlag = False,
) -> None:
    """Complete a checkpoint. Exit 75 while a dependency is pending or its approval has not passed."""
    emit(call(lambda api: api.complete_checkpoint(milestone_id, order)), as_json, show_completion)


@milestone_app.command("update")
def milestone_update(
    milestone_id: str,
    order: Annotated[int, typer.Argument(help="The checkpoint's order (1..n).")],
    title: Annotated[str | None, typer.Option(help="New title.")] = None,
    description: Annotated[str | None, typer.Option(help="New description.")] = None,
    git_branch_url: Annotated[str | None, typer.Option(help='Branch URL (http/https; "" removes).')] = None,
    git_pr_url: Annotated[str | None, typer.Option(help='Pull request URL (http/https; "" removes).')] = None,
    git_commit_url: Annotated[str | None, typer.Option(help='Commit URL (http/https; "" removes).')] = None,
    depends_on: DependsOn = None,
    no_depends_on: Annotated[bool, typer.Option("--no-depends-on", help="Remove every dependency.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Change a checkpoint's title, description, git links or dependencies (the whole list)."""
    names = split_list(depends_on)
    deps: list[int | str] | None = [] if no_depends_on else None if names is None else list(names)
    result = call(
        lambda api: api.update_checkpoint(
            milestone_id, order, title, description, git_branch_url, git_pr_url, git_commit_url, deps
        )
    )
    emit(result, as_json, show_checkpoint_change)


@milestone_app.command("add-checkpoint")
def milestone_add_checkpoint(
    milestone_id: str,
    title_arg: Annotated[
        str | None, typer.Argument(metavar="[TITLE]", help="The checkpoint's title (or give --title).")
    ] = None,
    title: Annotated[str | None, typer.Option("--title", help="The checkpoint's title.")] = None,
    position: Annotated[int | None, typer.Option(help="Insert at this order (default: append).")] = None,
    description: Annotated[str, typer.Option(help="What the step is.")] = "",
    depends_on: DependsOn = None,
    requires_consensus: Annotated[
        bool,
        typer.Option("--requires-consensus/--no-requires-consensus", help="Open a yes/no approval proposal for it."),
    ] = False,
    consensus_group: Annotated[
        str | None, typer.Option(help="The approving group (implies --requires-consensus).")
    ] = None,
    threshold_type: Annotated[
        str | None, typer.Option(help="The approval rule (implies --requires-consensus).")
    ] = None,
    min_human_approvals: Annotated[
        int | None, typer.Option(help="Human yes ballots the approval needs (implies --requires-consensus).")
    ] = None,
    git_branch_url: Annotated[str | None, typer.Option(help="Branch URL (http/https).")] = None,
    git_pr_url: Annotated[str | None, typer.Option(help="Pull request URL (http/https).")] = None,
    git_commit_url: Annotated[str | None, typer.Option(help="Commit URL (http/https).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Add a checkpoint titled --title (or TITLE) at --position (later ones shift down) or at the end; reopens a
    closed milestone."""
    if title_arg is not None and title is not None and title_arg != title:
        raise typer.BadParameter("give the title once: as TITLE or as --title", param_hint="--title")
    title = title if title is not None else title_arg
    if title is None:
        raise typer.BadParameter("give --title (or TITLE)", param_hint="--title")
    checkpoint_title = title
    rule: bool | dict[str, Any] = requires_consensus
    chosen = (
        ("group", consensus_group),
        ("threshold_type", threshold_type),
        ("min_human_approvals", min_human_approvals),
    )
    if any(v is not None for _, v in chosen):
        rule = {k: v for k, v in chosen if v is not None}
    result = call(
        lambda api: api.add_checkpoint(
            milestone_id,
            checkpoint_title,
            position=position,
            description=description,
            depends_on=split_list(depends_on),
            requires_consensus=rule,
            git_branch_url=git_branch_url,
            git_pr_url=git_pr_url,
            git_commit_url=git_commit_url,
        )
    )
    emit(result, as_json, show_checkpoint_change)


@milestone_app.command("delete-checkpoint")
def milestone_delete_checkpoint(
    milestone_id: str,
    order: Annotated[int, typer.Argument(help="The checkpoint's order (1..n).")],
    as_json: JsonFlag = False,
) -> None:
    """Delete a pending checkpoint nothing depends on (later ones shift up); cancels its approval proposal."""
    result = call(lambda api: api.delete_checkpoint(milestone_id, order))
    emit(
        result,
        as_json,
        lambda r: out.print(f"deleted checkpoint {r['deleted']['order']}: {r['deleted']['title']}", markup=False),
    )


@milestone_app.command("request-approval")
def milestone_request_approval(
    milestone_id: str,
    order: Annotated[int, typer.Argument(help="The consensus checkpoint's order (1..n).")],
    as_json: JsonFlag = False,
) -> None:
    """Ask again for a consensus checkpoint's approval after its proposal was rejected, vetoed, expired or
    cancelled: opens a new linked proposal with the same rule and prints its id. Exit 75 while one is open or
    once approved."""
    result = call(lambda api: api.request_checkpoint_approval(milestone_id, order))
    emit(result, as_json, lambda r: out.print(r["proposal_id"], markup=False))


@milestone_app.command("reopen")
def milestone_reopen(milestone_id: str, as_json: JsonFlag = False) -> None:
    """Make a closed milestone active again."""
    emit(call(lambda api: api.reopen_milestone(milestone_id)), as_json, show_summary)

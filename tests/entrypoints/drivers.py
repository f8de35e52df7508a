"""One way to call an operation through each face, so the same cases run on REST, MCP and the CLI."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from mcp import Client
from typer.testing import CliRunner

from accord.bootstrap import Services
from accord.entrypoints.cli import app as cli_app
from accord.entrypoints.mcp import build_mcp
from accord.entrypoints.rest import create_app


@dataclass
class Outcome:
    ok: bool
    code: int  # HTTP status, CLI exit code, or 0/1 for MCP success/tool error
    message: str
    data: Any = None


class RestDriver:
    name = "rest"

    def __init__(self, services: Services, url: str) -> None:
        self.client = TestClient(create_app(services, with_mcp=False, with_web=False))

    def call(self, token: str | None, op: str, **args: Any) -> Outcome:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if op == "create_proposal":
            response = self._post("/v1/proposals", args, headers)
        elif op == "cast_vote":
            pid = args.pop("proposal_id")
            response = self._post(f"/v1/proposals/{pid}/votes", args, headers)
        elif op == "add_group_member":
            response = self._post(f"/v1/groups/{args.pop('group')}/members", args, headers)
        elif op == "set_group_policy":
            body = json.dumps({k: v for k, v in args.items() if k != "group"})
            headers = {**headers, "Content-Type": "application/json"}
            response = self.client.put(f"/v1/groups/{args['group']}/policy", content=body, headers=headers)
        elif op == "gate_request":
            response = self._post("/v1/gates", args, headers)
        elif op in ("audit", "list_events"):
            path = "/v1/audit" if op == "audit" else "/v1/events"
            response = self.client.get(path, params=args, headers=headers)
        elif op == "get_proposal":
            response = self.client.get(f"/v1/proposals/{args['proposal_id']}", headers=headers)
        elif op == "finalize_proposal":
            pid = args.pop("proposal_id")
            response = self.client.post(f"/v1/proposals/{pid}/finalize", json=args or None, headers=headers)
        elif op == "cancel_proposal":
            response = self.client.post(f"/v1/proposals/{args['proposal_id']}/cancel", headers=headers)
        elif op == "request_checkpoint_approval":
            path = f"/v1/milestones/{args['milestone_id']}/checkpoints/{args['order']}/approval"
            response = self.client.post(path, headers=headers)
        elif op == "gate_verify":
            path = f"/v1/gates/{args['request_id']}/verify"
            response = self.client.post(path, json={"payload": args.get("payload")}, headers=headers)
        elif op == "add_webhook":
            group = args.pop("group")
            response = self.client.post(f"/v1/groups/{group}/webhooks", json=args, headers=headers)
        elif op == "add_channel":
            member = args.pop("member")
            response = self.client.post(f"/v1/members/{member}/channels", json=args, headers=headers)
        elif op == "list_channels":
            response = self.client.get(f"/v1/members/{args['member']}/channels", headers=headers)
        elif op == "remove_channel":
            path = f"/v1/members/{args['member']}/channels/{args['channel_id']}"
            response = self.client.delete(path, headers=headers)
        else:
            raise AssertionError(op)
        body = response.json()
        assert response.status_code < 500, body
        if response.status_code >= 400:
            assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
            return Outcome(False, response.status_code, body["error"]["message"])
        return Outcome(True, response.status_code, "", body)

    def _post(self, path: str, args: dict[str, Any], headers: dict[str, str]) -> Any:
        # json.dumps escapes what httpx's own encoder cannot send (a lone surrogate), as any JSON client may.
        return self.client.post(path, content=json.dumps(args), headers={**headers, "Content-Type": "application/json"})


class McpDriver:
    name = "mcp"

    def __init__(self, services: Services, url: str) -> None:
        self.services = services

    def call(self, token: str | None, op: str, **args: Any) -> Outcome:
        async def run() -> Outcome:
            async with Client(build_mcp(self.services, token=token)) as client:
                result = await client.call_tool(op, args)
            if result.is_error:
                text = " ".join(getattr(c, "text", "") for c in result.content)
                assert result.structured_content == {
                    "error": {"code": result.structured_content["error"]["code"], "message": text}
                }
                return Outcome(False, 1, text)
            return Outcome(True, 0, "", result.structured_content)

        return asyncio.run(run())


class CliDriver:
    name = "cli"

    def __init__(self, services: Services, url: str) -> None:
        self.url = url
        self.runner = CliRunner()

    def call(self, token: str | None, op: str, **args: Any) -> Outcome:
        argv: list[str]
        if op == "create_proposal":
            argv = ["proposal", "create", "--group", args.pop("group"), "--title", args.pop("title")]
            for key, value in args.items():
                flag = "--" + key.replace("_", "-")
                if isinstance(value, bool):
                    argv += [flag] if value else []
                else:
                    argv += [flag, ",".join(value)] if isinstance(value, list) else [flag, str(value)]
        elif op == "cast_vote":
            vote = args["vote"]
            argv = ["proposal", "vote", args["proposal_id"], ",".join(vote) if isinstance(vote, list) else vote]
            for key in ("confidence", "comment"):
                argv += [f"--{key}", str(args[key])] if key in args else []
        elif op == "add_group_member":
            argv = ["group", "add-member", args["group"], args["member"], "--weight", str(args["weight"])]
        elif op == "set_group_policy":
            argv = ["group", "policy", args.pop("group")]
            for key, value in args.items():
                argv += ["--" + key.removesuffix("_seconds").replace("_", "-"), str(value)]
        elif op == "gate_request":
            argv = ["gate", "request", args["subject"], "--group", args["group"]]
        elif op in ("audit", "list_events"):
            argv = ["audit" if op == "audit" else "events", "--after", str(args["after"])]
        elif op == "get_proposal":
            argv = ["proposal", "show", args["proposal_id"]]
        elif op == "finalize_proposal":
            argv = ["proposal", "finalize", args["proposal_id"]]
            argv += ["--force"] if args.get("force") else []
            argv += ["--rationale", args["rationale"]] if args.get("rationale") is not None else []
        elif op == "cancel_proposal":
            argv = ["proposal", "cancel", args["proposal_id"]]
        elif op == "request_checkpoint_approval":
            argv = ["milestone", "request-approval", args["milestone_id"], str(args["order"])]
        elif op == "gate_verify":
            argv = ["gate", "verify", args["request_id"], json.dumps(args.get("payload"))]
        elif op == "add_webhook":
            argv = ["webhook", "add", args["group"], args["url"]]
            for name in args.get("events") or []:
                argv += ["--events", name]
        elif op == "add_channel":
            argv = ["member", "channel", "add", args["member"], args["url"]]
            for name in args.get("events") or []:
                argv += ["--events", name]
        elif op == "list_channels":
            argv = ["member", "channel", "list", args["member"]]
        elif op == "remove_channel":
            argv = ["member", "channel", "remove", args["member"], args["channel_id"]]
        else:
            raise AssertionError(op)
        env = {"ACCORD_DATABASE_URL": self.url, "ACCORD_TOKEN": token or "", "ACCORD_URL": ""}
        result = self.runner.invoke(cli_app, [*argv, "--json"], env=env)
        if result.exit_code != 0:
            return Outcome(False, result.exit_code, result.stderr.strip())
        return Outcome(True, 0, "", json.loads(result.stdout))


DRIVERS = [RestDriver, McpDriver, CliDriver]

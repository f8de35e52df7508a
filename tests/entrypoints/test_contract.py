"""One typed contract (SPEC §9 rev. 2): every operation has one result model, which every face declares."""

from __future__ import annotations

import inspect
import tempfile
from pathlib import Path

from fastapi.routing import APIRoute

from accord.api import Api
from accord.api.contract import RESULTS
from accord.bootstrap import build_services
from accord.entrypoints.mcp import build_mcp
from accord.entrypoints.mcp.conventions import TOOLS
from accord.entrypoints.rest import core, deliberation, gates, milestones, proof, reach, webhooks


def test_every_operation_has_a_result_model_every_face_uses() -> None:
    routers = [m.router for m in (core, deliberation, gates, milestones, proof, reach, webhooks)] + [proof.well_known]
    routes = [r for router in routers for r in router.routes if isinstance(r, APIRoute) and r.include_in_schema]
    operations = {n for n, _ in inspect.getmembers(Api, inspect.isfunction) if not n.startswith("_")}
    assert operations - set(RESULTS) == set(), "add the operation's line to accord.api.contract.RESULTS"
    with tempfile.TemporaryDirectory() as tmp:
        services = build_services(f"sqlite:///{Path(tmp) / 'accord.db'}")
        try:
            tools = build_mcp(services, token="acc_unused")._tool_manager.list_tools()
        finally:
            services.close()
    for route in routes:
        assert route.name in RESULTS, f"{route.path}: {route.name} has no result model"
        assert route.response_model is not None, route.name
        assert {400, 401, 404, 409, 422, 503} <= set(route.responses), route.name
    for tool in tools:
        assert tool.name in TOOLS and tool.name in RESULTS, tool.name
        assert tool.fn_metadata.output_model is RESULTS[tool.name], tool.name
    # MCP's model is the one REST answers with (a REST list route answers the items of its one list field).
    rest = {r.name: r.response_model for r in routes}
    for tool in tools:
        model = RESULTS[tool.name]
        assert rest[tool.name] is model or rest[tool.name] in [f.annotation for f in model.model_fields.values()], (
            tool.name
        )

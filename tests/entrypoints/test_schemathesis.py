"""Schemathesis against the in-process app on SQLite (SPEC §9 rev. 2): positive and negative cases for every
operation in /openapi.json; no 5xx, and every response's status, content type and body as declared.

Bounded: a few examples per operation and mode, waits capped at 1 s (nothing blocks), derandomized so a run
is repeatable. The counts are printed (`-s`) for the record.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from requests.structures import CaseInsensitiveDict
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accord.bootstrap import Services, build_services
from accord.entrypoints.rest import create_app
from tests.support import World

EXAMPLES = 8  # per operation and mode: 63 operations x 2 modes, a couple of minutes on a loaded machine
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
WAITS = {"timeout", "wait"}  # long-poll parameters, capped so no request blocks


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from accord.storage.migrate import upgrade

    services: Services = build_services(f"sqlite:///{tmp_path_factory.mktemp('st') / 'accord.db'}")
    upgrade(services.ctx.engine)
    world = World(services)
    world.group("eng", {"ana": {"role": "owner"}, "ben": {}})
    yield world
    services.close()


def cap_waits(case: Case[Any]) -> None:
    for part in (case.query, case.body if isinstance(case.body, dict) else None):
        if not part:
            continue
        for name in WAITS & set(part):
            value = part[name]
            if isinstance(value, int | float) and not isinstance(value, bool):
                part[name] = min(max(value, 0), 1)
            elif isinstance(value, str):
                try:
                    part[name] = min(max(float(value), 0), 1)
                except ValueError:
                    pass  # a negative case: the server refuses it at once


def spare_the_caller(case: Case[Any]) -> None:
    """Keep the run's own token alive: revoking it would turn the rest of the run into 401s."""
    if case.path_parameters and case.path_parameters.get("name") == "admin":
        case.path_parameters["name"] = "ben"


def test_every_operation_answers_as_declared(world: World) -> None:
    app = create_app(world.services, with_mcp=False, with_web=False, sweep_interval=0)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    auth = {"Authorization": f"Bearer {world.tokens['admin']}"}
    requests: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    problems: list[str] = []
    unsatisfiable: list[str] = []

    def run(operation: Any, mode: GenerationMode) -> None:
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def one(case: Case[Any]) -> None:
            cap_waits(case)
            spare_the_caller(case)
            headers: CaseInsensitiveDict[Any] = CaseInsensitiveDict(case.headers or {})
            headers.update(auth)  # the generated bearer token would match nobody
            case.headers = headers
            response = case.call()
            requests[mode.value] += 1
            statuses[response.status_code] += 1
            try:
                case.validate_response(response, checks=CHECKS, headers=auth)
            except (Failure, FailureGroup) as exc:
                problems.append(f"{operation.label} [{mode.value}] {response.status_code}: {exc}"[:600])

        try:
            one()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE, operation.label  # nothing to get wrong (e.g. GET /v1/me)
            unsatisfiable.append(operation.label)

    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 60
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run(operation, mode)

    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    print(
        f"\nschemathesis: {len(operations)} operations, {sum(requests.values())} requests "
        f"({dict(requests)}; no negative case for {len(unsatisfiable)}), 5xx: {server_errors}, "
        f"violations: {len(problems)}, statuses: {dict(sorted(statuses.items()))}"
    )
    assert server_errors == 0
    assert statuses[401] == 0, "every request carries the administrator's live token"
    assert problems == []

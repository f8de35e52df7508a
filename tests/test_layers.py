"""The layers of docs/ARCHITECTURE.md, checked on the imports themselves (static, every `import` anywhere in a
module, TYPE_CHECKING blocks included): faces never reach into storage, services never into the wiring, and the
domain's modules form no import cycle."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).parents[1] / "src" / "accord"


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def modules(folder: str) -> dict[str, set[str]]:
    return {
        "accord." + ".".join(p.relative_to(SRC).with_suffix("").parts): imports(p)
        for p in sorted((SRC / folder).rglob("*.py"))
    }


def test_faces_do_not_import_storage() -> None:
    offenders = {
        name: sorted(i for i in found if i.startswith("accord.storage"))
        for name, found in modules("entrypoints").items()
    }
    assert {n: i for n, i in offenders.items() if i} == {}


def test_services_do_not_import_the_wiring() -> None:
    offenders = [name for name, found in modules("services").items() if "accord.bootstrap" in found]
    assert offenders == []


def test_the_domain_has_no_import_cycle() -> None:
    graph = {
        name.removesuffix(".__init__"): {i for i in found if i.startswith("accord.domain")}
        for name, found in modules("domain").items()
    }
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt in path:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif len(path) < len(graph):
                visit(nxt, [*path, nxt])

    for start in graph:
        visit(start, [start])
    assert cycles == []

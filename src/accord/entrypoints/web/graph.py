"""A milestone's checkpoints as a layered dependency graph, laid out for server-side SVG.

Rows are dependency depths (a checkpoint sits one row below its deepest dependency), so every arrow
points down; checkpoints of other milestones that this one depends on sit, dashed, in the top row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

NODE_W, NODE_H = 220, 58
GAP_X, GAP_Y, MARGIN = 28, 46, 16
MAX_TITLE = 27

STATUS_TEXT = {
    "completed": "completed",
    "ready": "ready",
    "blocked": "blocked",
    "awaiting_consensus": "awaiting consensus",
    "external": "other milestone",
}


@dataclass(frozen=True)
class GraphNode:
    key: str
    x: int
    y: int
    title: str  # shortened to fit
    full_title: str
    sub: str
    status: str  # a CSS class: completed, ready, blocked, awaiting_consensus, external
    href: str

    @property
    def label(self) -> str:
        return f"{self.full_title}: {STATUS_TEXT.get(self.status, self.status)}"


@dataclass(frozen=True)
class GraphEdge:
    path: str
    status: str  # the dependency's status: a done dependency draws solid, a pending one dashed


@dataclass(frozen=True)
class Graph:
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    width: int
    height: int
    node_w: int = NODE_W
    node_h: int = NODE_H


def shorten(text: str, limit: int = MAX_TITLE) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def layout(milestone: dict[str, Any]) -> Graph:
    checkpoints: list[dict[str, Any]] = milestone["checkpoints"]
    by_key = {str(cp["order"]): cp for cp in checkpoints}
    external = sorted({str(d) for cp in checkpoints for d in cp["depends_on"] if str(d) not in by_key})
    depth: dict[str, int] = dict.fromkeys(external, 0)

    def depth_of(key: str, seen: frozenset[str] = frozenset()) -> int:
        if key in depth:
            return depth[key]
        deps = [str(d) for d in by_key[key]["depends_on"] if str(d) not in seen]
        # The store refuses cycles; `seen` only guards the drawing against a bad graph.
        depth[key] = 1 + max((depth_of(d, seen | {key}) for d in deps), default=-1 if not external else 0)
        return depth[key]

    for key in by_key:
        depth_of(key)
    rows: dict[int, list[str]] = {}
    for key in external + [str(cp["order"]) for cp in checkpoints]:
        rows.setdefault(depth[key], []).append(key)
    widest = max((len(r) for r in rows.values()), default=1)
    width = MARGIN * 2 + widest * NODE_W + (widest - 1) * GAP_X
    places: dict[str, tuple[int, int]] = {}
    for row, keys in sorted(rows.items()):
        span = len(keys) * NODE_W + (len(keys) - 1) * GAP_X
        left = (width - span) // 2
        for i, key in enumerate(keys):
            places[key] = (left + i * (NODE_W + GAP_X), MARGIN + row * (NODE_H + GAP_Y))
    height = MARGIN * 2 + (max(rows, default=0) + 1) * NODE_H + max(rows, default=0) * GAP_Y

    nodes = []
    for key, (x, y) in places.items():
        cp = by_key.get(key)
        if cp is None:
            nodes.append(GraphNode(key, x, y, shorten(key), key, "depends on it", "external", ""))
            continue
        sub = f"#{cp['order']} · {STATUS_TEXT.get(cp['status'], cp['status'])}"
        if cp.get("proposal_id"):
            sub += " · vote"
        nodes.append(
            GraphNode(key, x, y, shorten(cp["title"]), cp["title"], sub, cp["status"], f"#checkpoint-{cp['order']}")
        )
    edges = []
    for cp in checkpoints:
        tx, ty = places[str(cp["order"])]
        for dep in cp["depends_on"]:
            sx, sy = places[str(dep)]
            x1, y1, x2, y2 = sx + NODE_W // 2, sy + NODE_H, tx + NODE_W // 2, ty - 4
            bend = (y2 - y1) // 2
            status = by_key[str(dep)]["status"] if str(dep) in by_key else "external"
            edges.append(GraphEdge(f"M{x1},{y1} C{x1},{y1 + bend} {x2},{y2 - bend} {x2},{y2}", status))
    return Graph(nodes, edges, width, height)

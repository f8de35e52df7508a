"""A milestone's checkpoints as a layered dependency graph, laid out by grandalf (Sugiyama) for server-side SVG.

grandalf ranks the checkpoints (a checkpoint sits below every dependency, so every arrow points down), orders each
layer to reduce crossings, places nodes (Brandes-Köpf) and routes each long edge through dummy points of the layers
it crosses, so edges pass between nodes instead of through them. Checkpoints of other milestones that this one
depends on are drawn dashed, named by their title when the viewer may see them.

Nothing here recurses on the graph's depth: grandalf's two recursive steps (Tarjan's cycle search, which a DAG
never needs, and the block placement) are skipped or replaced by iterative code, and grandalf's process-wide
`sys.setrecursionlimit` changes are never made, so a 1,200-checkpoint chain lays out in any thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import Any

from grandalf.graphs import Edge, Vertex, graph_core
from grandalf.layouts import SugiyamaLayout
from grandalf.routing import EdgeViewer
from grandalf.utils.poset import Poset

NODE_W, NODE_H = 220, 58
GAP_X, GAP_Y, MARGIN = 28, 46, 16
MAX_TITLE = 27
MAX_DRAWN = 2_500  # nodes; a bigger milestone is shown as its checkpoint list only
ORDERING_PASSES = 2  # grandalf's crossing-reduction sweeps (down and up)

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
    too_big: bool = False  # more than MAX_DRAWN nodes: not drawn


def shorten(text: str, limit: int = MAX_TITLE) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# -- grandalf, without recursion --------------------------------------------------------------------------------


class _Box:
    """A vertex's view for grandalf: its size, and the centre grandalf sets."""

    w, h = NODE_W, NODE_H
    xy: tuple[float, float] = (0.0, 0.0)


class _Component(graph_core):  # type: ignore[misc]
    """One connected component as grandalf's layout wants it, built in linear time (grandalf's own `Graph` and
    `graph_core` constructors test list membership and compare whole vertex sets per vertex: quadratic, seconds
    at 1,200 checkpoints). The caller has found the component; nothing is checked again."""

    def __init__(self, vertices: Sequence[Any], edges: Sequence[Any]) -> None:
        self.directed = True
        self.sV = Poset(vertices)
        self.sE = Poset([])
        self.degenerated_edges: set[Any] = set()
        for e in edges:
            self.sE.add(e)
            e.attach()
        for v in self.sV:
            v.c = self


class _Layers(list[Any]):
    """The layout's layers, found by identity in constant time (grandalf's Layer.setup looks itself up with
    list.index, which compares layers as lists: quadratic in the depth)."""

    def index(self, layer: Any, *_args: Any) -> int:
        if len(self._at) != len(self):
            self._at = {id(x): i for i, x in enumerate(self)}
        return self._at[id(layer)]

    _at: dict[int, int] = {}  # noqa: RUF012 - replaced per instance on first use


class _Sugiyama(SugiyamaLayout):  # type: ignore[misc]
    """grandalf's layout for a DAG: no cycle search, layers indexed by identity, and the horizontal compaction
    (Brandes-Köpf) made iterative."""

    def init_all(self, roots: Any = None, inverted_edges: Any = None, optimize: bool = False) -> None:
        # grandalf 0.8's init_all for a graph known to be acyclic (its cycle search is recursive).
        state: Any = self  # grandalf's attributes are untyped
        if state.initdone:
            return
        state.alt_e = []
        self.rank_all(list(roots or []), optimize)
        for e in self.g.E():
            self.setdummies(e)
        state.layers = _Layers(state.layers)
        for layer in self.layers:
            layer.setup(self)
        self.initdone = True

    def _coord_vertical_alignment(self) -> None:
        # grandalf 0.8's own body, with its conflict list looked up as a set (a list made it quadratic).
        dirh, dirv = self.dirh, self.dirv
        g = self.grx
        conflicts = set(self.conflicts)
        for layer in self.layers[::-dirv]:
            above = layer.prevlayer()
            if not above:
                continue
            r = None
            for vk in layer[::dirh]:
                for m in layer._medianindex(vk):
                    um = above[m]
                    if g[vk].align is vk:
                        pair = (vk, um) if dirv == 1 else (um, vk)
                        if pair not in conflicts and (r is None or dirh * r < dirh * m):
                            g[um].align = vk
                            g[vk].root = g[um].root
                            g[vk].align = g[vk].root
                            r = m

    def _coord_horizontal_compact(self) -> None:
        # grandalf 0.8's own body, minus its sys.setrecursionlimit calls and with _place_block iterative.
        dirh, dirv = self.dirh, self.dirv
        g = self.grx
        layers = self.layers[::-dirv]
        for layer in layers:
            for v in layer[::dirh]:
                if g[v].root is v:
                    self._place_block(v)
        if dirh == -1:
            for layer in layers:
                for v in layer:
                    x = g[v].X
                    if x:
                        g[v].X = -x
        inf = float("infinity")
        for layer in layers:
            for v in layer[::dirh]:
                g[v].x[self.dirvh] = g[g[v].root].X
                s = g[g[g[v].root].sink].shift
                if s < inf:
                    g[v].x[self.dirvh] += dirh * s
        for layer in self.layers:
            for v in layer:
                g[v].root = g[v].align = g[v].sink = v
                g[v].shift = inf
                g[v].X = None

    def _place_block(self, start: Any) -> None:
        """grandalf's recursive `__place_block`, with an explicit stack: placing a block first places the block
        of each left neighbour along it, however many blocks that chains through."""
        g = self.grx
        if g[start].X is not None:
            return
        g[start].X = 0.0
        # Each frame: [block root v, the block member w being looked at, (u, delta) awaiting u's placement].
        stack: list[list[Any]] = [[start, start, None]]
        while stack:
            frame = stack[-1]
            v, w, waiting = frame
            if waiting is not None:
                frame[2] = None
                u, delta = waiting
                if g[v].sink is v:
                    g[v].sink = g[u].sink
                if g[v].sink != g[u].sink:
                    s = g[u].sink
                    g[s].shift = min(g[s].shift, g[v].X - (g[u].X + delta))
                else:
                    g[v].X = max(g[v].X, g[u].X + delta)
                self._advance(stack, frame)
                continue
            j = g[w].pos - self.dirh
            layer = self.layers[g[w].rank]
            if 0 <= j < len(layer):
                left = layer[j]
                u = g[left].root
                frame[2] = (u, self.xspace + (left.view.w + w.view.w) / 2.0)
                if g[u].X is None:
                    g[u].X = 0.0
                    stack.append([u, u, None])
                continue
            self._advance(stack, frame)

    def _advance(self, stack: list[list[Any]], frame: list[Any]) -> None:
        """Move the frame to the next member of its block, or finish the block."""
        nxt = self.grx[frame[1]].align
        if nxt is frame[0]:
            stack.pop()
        else:
            frame[1] = nxt

    _SugiyamaLayout__place_block = _place_block  # what grandalf's own methods call


Place = tuple[float, float]


@lru_cache(maxsize=64)
def _positions(
    keys: tuple[str, ...], edges: tuple[tuple[int, int], ...]
) -> tuple[tuple[Place, ...], tuple[tuple[Place, ...], ...]]:
    """Centres of the nodes and the bend points of each edge (source to target, inclusive), for a structure;
    cached, since statuses change far more often than the graph (a live page re-renders on every vote)."""
    vertices = [Vertex(k) for k in keys]
    for v in vertices:
        v.view = _Box()
    links = [Edge(vertices[a], vertices[b]) for a, b in edges]
    for e in links:
        e.view = EdgeViewer()
    left = 0.0
    for members, inside in _components(len(keys), edges):
        component = _Component([vertices[i] for i in members], [links[i] for i in inside])
        layout = _Sugiyama(component)
        layout.xspace, layout.yspace = GAP_X, GAP_Y
        roots = [v for v in component.sV if not v.e_in()]
        layout.init_all(roots=roots)
        layout.draw(ORDERING_PASSES)
        placed = [vertices[i] for i in members]
        lowest = min(v.view.xy[0] for v in placed) - NODE_W / 2
        for v in placed:
            v.view.xy = (v.view.xy[0] - lowest + left, v.view.xy[1])
        for i in inside:
            links[i].view._pts = [(x - lowest + left, y) for x, y in links[i].view._pts]
        left = max(v.view.xy[0] for v in placed) + NODE_W / 2 + GAP_X
    return tuple(v.view.xy for v in vertices), tuple(tuple(e.view._pts) for e in links)


def _components(n: int, edges: Sequence[tuple[int, int]]) -> list[tuple[list[int], list[int]]]:
    """The connected components (node indexes, edge indexes), in order of their first node: union-find, no
    recursion."""
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in edges:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    nodes: dict[int, list[int]] = {}
    for i in range(n):
        nodes.setdefault(root(i), []).append(i)
    links: dict[int, list[int]] = {r: [] for r in nodes}
    for k, (a, _b) in enumerate(edges):
        links[root(a)].append(k)
    return [(nodes[r], links[r]) for r in nodes]


def _path(points: Sequence[Place], offset: Place) -> str:
    """An SVG path from the source's bottom to the target's top through the edge's bend points, each leg a
    curve leaving and arriving vertically."""
    dx, dy = offset
    pts = [(x + dx, y + dy) for x, y in points]
    (x0, y0), (xn, yn) = pts[0], pts[-1]
    pts[0], pts[-1] = (x0, y0 + NODE_H / 2), (xn, yn - NODE_H / 2 - 4)
    d = [f"M{pts[0][0]:.0f},{pts[0][1]:.0f}"]
    for (x1, y1), (x2, y2) in pairwise(pts):
        mid = (y1 + y2) / 2
        d.append(f"C{x1:.0f},{mid:.0f} {x2:.0f},{mid:.0f} {x2:.0f},{y2:.0f}")
    return " ".join(d)


# -- the milestone's graph -------------------------------------------------------------------------------------


def layout(milestone: dict[str, Any]) -> Graph:
    """The milestone's graph: its checkpoints and the other milestones' checkpoints they depend on."""
    checkpoints: list[dict[str, Any]] = milestone["checkpoints"]
    by_key = {str(cp["order"]): cp for cp in checkpoints}
    outside = {str(x["ref"]): x for x in milestone.get("external", [])}
    external = sorted({str(d) for cp in checkpoints for d in cp["depends_on"] if str(d) not in by_key})
    keys = external + list(by_key)
    if len(keys) > MAX_DRAWN:
        return Graph([], [], 0, 0, too_big=True)
    index = {k: i for i, k in enumerate(keys)}
    pairs = [(str(d), str(cp["order"])) for cp in checkpoints for d in cp["depends_on"]]
    centres, routes = _positions(tuple(keys), tuple((index[a], index[b]) for a, b in pairs))
    nodes = []
    for key, (cx, cy) in zip(keys, centres, strict=True):
        x, y = round(cx - NODE_W / 2 + MARGIN), round(cy - NODE_H / 2 + MARGIN)
        cp = by_key.get(key)
        if cp is None:
            nodes.append(_external(key, outside.get(key), x, y))
            continue
        sub = f"#{cp['order']} · {STATUS_TEXT.get(cp['status'], cp['status'])}"
        if cp.get("proposal_id"):
            sub += " · vote"
        href = f"#checkpoint-{cp['order']}"
        nodes.append(GraphNode(key, x, y, shorten(cp["title"]), cp["title"], sub, cp["status"], href))
    edges = [
        GraphEdge(_path(route, (MARGIN, MARGIN)), by_key[a]["status"] if a in by_key else "external")
        for (a, _b), route in zip(pairs, routes, strict=True)
    ]
    bends = [x + MARGIN for route in routes for x, _y in route]
    width = round(max([*(n.x + NODE_W for n in nodes), *bends], default=0)) + MARGIN
    height = max((n.y + NODE_H for n in nodes), default=0) + MARGIN
    return Graph(nodes, edges, width, height)


def _external(key: str, found: dict[str, Any] | None, x: int, y: int) -> GraphNode:
    """A checkpoint of another milestone: its title and milestone when the viewer may see them."""
    if found is None or found.get("title") is None:
        return GraphNode(key, x, y, shorten(key), key, "another group's milestone", "external", "")
    sub = shorten(f"{found['milestone_title']} #{found['order']}", MAX_TITLE + 6)
    status = "completed" if found.get("completed") else "not completed"
    title = f"{found['title']} ({found['milestone_title']}, {status})"
    return GraphNode(key, x, y, shorten(found["title"]), title, sub, "external", f"/milestones/{found['milestone_id']}")

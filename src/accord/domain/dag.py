"""The checkpoint graph (SPEC §3): cycles, what is ready or blocked, and how orders shift.

Edges point from a checkpoint to what it depends on ("2 → 4" reads "2 depends on 4").
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal, TypeVar

K = TypeVar("K", bound=Hashable)

Consensus = Literal["passed", "pending", "failed"] | None
Status = Literal["completed", "ready", "blocked", "awaiting_consensus"]


def find_cycle(graph: Mapping[K, Sequence[K]], *, key: Callable[[K], Any] = repr) -> list[K] | None:
    """A cycle of `graph` as [a, b, ..., a], starting at its least node by `key`; None if it has none.

    Iterative depth-first search (graphs of 10,000 checkpoints would overflow Python's recursion)."""
    white, grey, black = 0, 1, 2
    colour: dict[K, int] = dict.fromkeys(graph, white)
    for root in sorted(graph, key=key):
        if colour[root] != white:
            continue
        path: list[K] = [root]
        stack: list[Iterator[K]] = [iter(graph[root])]
        colour[root] = grey
        while stack:
            node = next(stack[-1], None)
            if node is None:
                colour[path.pop()] = black
                stack.pop()
                continue
            state = colour.get(node, black)  # nodes outside the graph have no edges here
            if state == grey:
                return _rotate(path[path.index(node) :], key)
            if state == white:
                colour[node] = grey
                path.append(node)
                stack.append(iter(graph[node]))
    return None


def _rotate(cycle: list[K], key: Callable[[K], Any]) -> list[K]:
    start = min(range(len(cycle)), key=lambda i: key(cycle[i]))
    ring = cycle[start:] + cycle[:start]
    return [*ring, ring[0]]


def find_path(
    sources: Iterable[K], target: K, expand: Callable[[Collection[K]], Mapping[K, Iterable[K]]]
) -> list[K] | None:
    """The shortest path from one of `sources` to `target` following edges, or None.

    `expand(frontier)` returns the edges of a whole frontier at once, so a store answers one query per
    level; the cost is the part of the graph reachable from `sources`, not the size of the graph."""
    parent: dict[K, K | None] = {}
    frontier: list[K] = []
    for s in sources:
        if s not in parent:
            parent[s] = None
            frontier.append(s)
    while frontier:
        if target in parent:
            break
        edges = expand(frontier)
        nxt: list[K] = []
        for node in frontier:
            for dep in edges.get(node, ()):
                if dep not in parent:
                    parent[dep] = node
                    nxt.append(dep)
        frontier = nxt
    if target not in parent:
        return None
    path: list[K] = [target]
    while (up := parent[path[-1]]) is not None:
        path.append(up)
    return path[::-1]


def describe_cycle(labels: Sequence[object]) -> str:
    """'cycle: 2 → 4 → 2'."""
    return "cycle: " + " → ".join(str(label) for label in labels)


def status_of(*, completed: bool, pending: Sequence[object], consensus: Consensus) -> Status:
    """A checkpoint's status: completed; blocked (a dependency is pending, or its approval failed);
    awaiting_consensus (dependencies done, approval not yet passed); ready (it may be completed now)."""
    if completed:
        return "completed"
    if pending or consensus == "failed":
        return "blocked"
    if consensus == "pending":
        return "awaiting_consensus"
    return "ready"


def consensus_state(proposal_status: str | None, outcome: str | None) -> Consensus:
    """How a linked proposal gates its checkpoint: only a finalized `passed` unlocks it."""
    if proposal_status is None:
        return None
    if proposal_status == "finalized":
        return "passed" if outcome == "passed" else "failed"
    if proposal_status == "cancelled":
        return "failed"
    return "pending"


def order_after_insert(order: int, position: int) -> int:
    """Where checkpoint `order` moves when a checkpoint is inserted at `position`."""
    return order + 1 if order >= position else order


def order_after_delete(order: int, deleted: int) -> int:
    """Where checkpoint `order` moves when checkpoint `deleted` is removed."""
    return order - 1 if order > deleted else order

"""The checkpoint graph, pure: cycles (named), paths, status, and how orders shift."""

from __future__ import annotations

import itertools
from collections.abc import Collection

from hypothesis import given
from hypothesis import strategies as st

from accord.domain.dag import (
    consensus_state,
    describe_cycle,
    find_cycle,
    find_path,
    order_after_delete,
    order_after_insert,
    status_of,
)


def test_no_cycle_in_a_diamond() -> None:
    assert find_cycle({1: [], 2: [1], 3: [1], 4: [2, 3], 5: [4]}) is None


def test_a_two_cycle_is_named_from_its_least_node() -> None:
    cycle = find_cycle({1: [], 2: [4], 3: [1], 4: [2]}, key=lambda n: n)
    assert cycle == [2, 4, 2]
    assert describe_cycle(cycle) == "cycle: 2 → 4 → 2"


def test_a_longer_cycle_follows_the_edges() -> None:
    graph = {1: [3], 2: [1], 3: [2], 4: []}
    assert find_cycle(graph, key=lambda n: n) == [1, 3, 2, 1]


def test_a_self_loop_is_a_cycle() -> None:
    assert find_cycle({1: [1]}) == [1, 1]


def test_deep_chains_do_not_recurse() -> None:
    n = 50_000
    graph = {i: [i - 1] if i > 1 else [] for i in range(1, n + 1)}
    assert find_cycle(graph) is None
    graph[1] = [n]
    cycle = find_cycle(graph, key=lambda x: x)
    assert cycle is not None and len(cycle) == n + 1 and cycle[0] == cycle[-1] == 1


@given(st.lists(st.lists(st.integers(min_value=0, max_value=30), max_size=4), min_size=1, max_size=30))
def test_edges_to_earlier_nodes_never_cycle(raw: list[list[int]]) -> None:
    graph = {i: [d % i for d in deps if i > 0] for i, deps in enumerate(raw)}
    graph = {i: [d for d in deps if d < i] for i, deps in graph.items()}
    assert find_cycle(graph) is None


@given(
    st.lists(st.lists(st.integers(min_value=0, max_value=19), max_size=3), min_size=2, max_size=20),
    st.data(),
)
def test_a_found_cycle_is_made_of_real_edges(raw: list[list[int]], data: st.DataObject) -> None:
    n = len(raw)
    graph = {i: sorted({d % n for d in deps}) for i, deps in enumerate(raw)}
    cycle = find_cycle(graph, key=lambda x: x)
    if cycle is None:
        return
    assert cycle[0] == cycle[-1] == min(cycle)
    assert len(set(cycle[:-1])) == len(cycle) - 1
    for a, b in itertools.pairwise(cycle):
        assert b in graph[a]


def test_find_path_follows_dependencies_level_by_level() -> None:
    graph = {"x": ["a"], "a": ["b", "c"], "b": ["d"], "c": ["d"], "d": ["x"], "far": ["x"]}
    calls: list[int] = []

    def expand(frontier: Collection[str]) -> dict[str, list[str]]:
        calls.append(len(frontier))
        return {n: graph.get(n, []) for n in frontier}

    assert find_path(["a"], "x", expand) == ["a", "b", "d", "x"]
    assert calls == [1, 2, 1]  # one lookup per level, never the unrelated "far"
    assert find_path(["far"], "a", expand) == ["far", "x", "a"]
    assert find_path(["b"], "far", expand) is None
    assert find_path(["x"], "x", expand) == ["x"]


def test_status() -> None:
    assert status_of(completed=True, pending=[2], consensus="pending") == "completed"
    assert status_of(completed=False, pending=[2], consensus=None) == "blocked"
    assert status_of(completed=False, pending=[], consensus="failed") == "blocked"
    assert status_of(completed=False, pending=[2], consensus="pending") == "blocked"
    assert status_of(completed=False, pending=[], consensus="pending") == "awaiting_consensus"
    assert status_of(completed=False, pending=[], consensus="passed") == "ready"
    assert status_of(completed=False, pending=[], consensus=None) == "ready"


def test_only_a_finalized_passed_proposal_unlocks() -> None:
    assert consensus_state(None, None) is None
    assert consensus_state("finalized", "passed") == "passed"
    for outcome in ("rejected", "vetoed", "no_quorum", None):
        assert consensus_state("finalized", outcome) == "failed"
    assert consensus_state("cancelled", None) == "failed"
    assert consensus_state("open", None) == "pending"
    assert consensus_state("escalated", "passed") == "pending"


@given(st.integers(min_value=1, max_value=50), st.integers(min_value=1, max_value=51))
def test_insert_then_delete_restores_every_order(count: int, position: int) -> None:
    position = min(position, count + 1)
    moved = [order_after_insert(o, position) for o in range(1, count + 1)]
    assert sorted([*moved, position]) == list(range(1, count + 2))
    assert [order_after_delete(o, position) for o in moved] == list(range(1, count + 1))

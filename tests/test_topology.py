"""Topologies: sizes, seeding, real networks, edge-list files, and count mismatches."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from convergence.errors import ConvergenceError, ScenarioError
from convergence.loader import load_scenario
from convergence.scenario import NAMED_NETWORKS
from convergence.topology import Graph, build_graph


def _graph(n: int | str, topology: object, seed: int = 0) -> Graph:
    scenario = load_scenario({"agents": {"count": n}, "network": {"topology": topology}})
    return build_graph(scenario.network.topology, scenario.agents.count, np.random.default_rng(seed))


@pytest.mark.parametrize(
    ("topology", "n", "edges"),
    [
        ("complete", 22, 231),
        ("ring", 22, 22),
        ({"kind": "grid"}, 22, 2 * 10 + 11),
        ({"kind": "grid", "rows": 4, "columns": 5}, 20, 4 * 4 + 5 * 3),
        ({"kind": "random-regular", "degree": 4}, 22, 44),
        ({"kind": "small-world", "k": 4, "p": 0.2}, 22, 44),
    ],
)
def test_generated_topologies_have_the_expected_size(topology: object, n: int, edges: int) -> None:
    graph = _graph(n, topology)
    assert (graph.n, graph.n_edges) == (n, edges)
    assert np.all(graph.indices != np.repeat(np.arange(n), graph.degrees))  # no self-loops


def test_random_regular_graph_is_regular_and_seeded() -> None:
    first = _graph(22, {"kind": "random-regular", "degree": 3}, seed=5)
    again = _graph(22, {"kind": "random-regular", "degree": 3}, seed=5)
    other = _graph(22, {"kind": "random-regular", "degree": 3}, seed=6)
    assert set(first.degrees.tolist()) == {3}
    assert np.array_equal(first.indices, again.indices)
    assert not np.array_equal(first.indices, other.indices)


@pytest.mark.parametrize("name", sorted(NAMED_NETWORKS))
def test_named_networks_follow_networkx(name: str) -> None:
    builder = {
        "karate-club": nx.karate_club_graph,
        "florentine-families": nx.florentine_families_graph,
        "les-miserables": nx.les_miserables_graph,
    }[name]
    reference = builder()
    graph = _graph("topology", name)
    assert graph.n == NAMED_NETWORKS[name] == reference.number_of_nodes()
    assert graph.n_edges == reference.number_of_edges()
    assert graph.is_connected


def test_count_mismatch_names_both_numbers() -> None:
    with pytest.raises(ScenarioError, match=r"agents.count: is 22 but topology karate-club has 34 nodes"):
        load_scenario({"agents": {"count": 22}, "network": {"topology": "karate-club"}})


def test_count_topology_needs_a_fixed_size_graph() -> None:
    with pytest.raises(ScenarioError, match=r"agents.count: 'topology' needs a graph with a fixed size"):
        load_scenario({"agents": {"count": "topology"}, "network": {"topology": "ring"}})


def test_grid_side_must_divide_the_count() -> None:
    with pytest.raises(ScenarioError, match=r"a grid of 22 agents cannot have 5 rows"):
        load_scenario({"agents": {"count": 22}, "network": {"topology": {"kind": "grid", "rows": 5}}})


def test_edge_list_is_relative_to_the_scenario_file(tmp_path: Path) -> None:
    (tmp_path / "nets").mkdir()
    (tmp_path / "nets" / "star.txt").write_text("# a star\n0 1\n0 2\n\n0 3  # last\n", encoding="utf-8")
    file = tmp_path / "star.yaml"
    file.write_text(
        "agents: {count: topology}\nnetwork: {topology: {kind: edge-list, path: nets/star.txt}}\n",
        encoding="utf-8",
    )
    scenario = load_scenario(file)
    assert scenario.agents.count == 4
    graph = build_graph(scenario.network.topology, 4, np.random.default_rng(0))
    assert graph.degrees.tolist() == [3, 1, 1, 1]


def test_edge_list_bad_line_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "bad.txt").write_text("0 1\n1 x\n", encoding="utf-8")
    file = tmp_path / "s.yaml"
    file.write_text(
        "agents: {count: 2}\nnetwork: {topology: {kind: edge-list, path: bad.txt}}\n", encoding="utf-8"
    )
    with pytest.raises(ScenarioError, match=r"bad\.txt:2: expected two node ids"):
        load_scenario(file)


def test_edge_list_with_more_nodes_than_agents_is_refused(tmp_path: Path) -> None:
    (tmp_path / "e.txt").write_text("0 1\n1 5\n", encoding="utf-8")
    file = tmp_path / "s.yaml"
    file.write_text(
        "agents: {count: 4}\nnetwork: {topology: {kind: edge-list, path: e.txt}}\n", encoding="utf-8"
    )
    with pytest.raises(ScenarioError, match=r"agents.count: is 4 but topology .* has 6 nodes"):
        load_scenario(file)


def test_disconnected_graph_reports_its_components() -> None:
    graph = _graph(4, "ring")
    assert graph.is_connected
    from convergence.topology import graph_from_edges

    split = graph_from_edges(5, [(0, 1), (2, 3)])
    assert split.n_components == 3
    assert split.components().tolist() == [0, 0, 1, 1, 2]


def test_graph_node_out_of_range_is_an_error() -> None:
    from convergence.topology import graph_from_edges

    with pytest.raises(ConvergenceError, match=r"has node 7 but only 4 agents"):
        graph_from_edges(4, [(0, 7)])

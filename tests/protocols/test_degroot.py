"""DeGroot: the limit is the left-Perron-vector average, invariant at every step."""

from __future__ import annotations

import numpy as np
import pytest

from convergence.engine import simulate
from convergence.oracles.averaging import degroot_disconnected
from convergence.oracles.harness import make_scenario, run_preset
from convergence.protocols.degroot import degroot_matrix, perron_vector
from convergence.topology import Graph, graph_from_edges

TIGHT = {"target": 1.0 - 1e-12, "max_rounds": 2000}


def _left_perron(matrix: np.ndarray) -> np.ndarray:
    """pi with pi^T W = pi^T, sum pi = 1, from numpy's eigensolver (independent of the code)."""
    values, vectors = np.linalg.eig(matrix.T)
    vector = np.real(vectors[:, np.argmin(np.abs(values - 1.0))])
    return np.asarray(vector / vector.sum(), dtype=np.float64)


def _path() -> Graph:
    return graph_from_edges(3, [(0, 1), (1, 2)])


def test_equal_weights_on_a_path_are_the_hand_matrix() -> None:
    expected = np.array([[1 / 2, 1 / 2, 0], [1 / 3, 1 / 3, 1 / 3], [0, 1 / 2, 1 / 2]])
    assert np.allclose(degroot_matrix(_path(), "equal"), expected, rtol=0, atol=1e-15)
    assert np.allclose(_left_perron(expected), [2 / 7, 3 / 7, 2 / 7], atol=1e-12)
    assert np.allclose(perron_vector(_path(), "equal"), [2 / 7, 3 / 7, 2 / 7], atol=1e-15)


def test_metropolis_weights_are_doubly_stochastic() -> None:
    graph = graph_from_edges(5, [(0, 1), (1, 2), (1, 3), (3, 4), (2, 3)])
    matrix = degroot_matrix(graph, "metropolis")
    assert np.allclose(matrix.sum(axis=0), 1.0)
    assert np.allclose(matrix.sum(axis=1), 1.0)
    assert np.all(np.diag(matrix) > 0)


def test_path_with_equal_weights_ends_at_two_sevenths_and_keeps_it_every_step() -> None:
    scenario = make_scenario(
        "degroot",
        3,
        network={"topology": {"kind": "grid", "rows": 1, "columns": 3}},
        protocol={"weights": "equal", **TIGHT},
    )
    result = run_preset(scenario, np.array([0.0, 0.0, 1.0]))
    assert np.max(np.abs(result.final_values[:, 0] - 2 / 7)) <= 1e-8
    invariants = [e["invariant"][0] for e in result.events if e["event"] == "phase_end"]
    assert len(invariants) == result.summary["rounds"] > 10
    pi = _left_perron(degroot_matrix(_path(), "equal"))
    assert abs(float(pi @ np.array([0.0, 0.0, 1.0])) - 2 / 7) <= 1e-12
    assert max(abs(v - 2 / 7) for v in invariants) <= 1e-12


@pytest.mark.parametrize("weights", ["metropolis", "equal"])
def test_degroot_limit_is_the_perron_average_on_a_real_network(weights: str) -> None:
    scenario = make_scenario(
        "degroot",
        "topology",
        network={"topology": "florentine-families"},
        protocol={"weights": weights, **TIGHT},
    )
    result = simulate(scenario, seed=4)
    from convergence.topology import build_graph

    graph = build_graph(scenario.network.topology, 15, np.random.default_rng(0))
    pi = _left_perron(degroot_matrix(graph, weights))
    limit = pi @ result.initial_values
    assert np.max(np.abs(result.final_values - limit)) <= 1e-8
    if weights == "metropolis":
        assert np.allclose(limit, result.initial_values.mean(axis=0), atol=1e-12)


def test_disconnected_graph_is_reported_as_not_converging() -> None:
    outcome = degroot_disconnected()
    assert outcome.passed, outcome.measured


def test_disconnected_graph_event_names_the_components() -> None:
    scenario = make_scenario(
        "degroot", 6, network={"topology": {"kind": "grid", "rows": 1}}, protocol={"max_rounds": 5}
    )
    result = simulate(scenario)
    topology = next(e for e in result.events if e["event"] == "topology")
    assert (topology["connected"], topology["components"]) == (True, 1)
    assert (result.summary["stop_reason"], result.summary["rounds"]) == ("max_rounds", 5)


def test_identical_values_stop_at_once_c17() -> None:
    scenario = make_scenario("degroot", 3, network={"topology": "ring"})
    result = run_preset(scenario, np.array([-0.087, -0.087, -0.087]))
    assert result.summary["stop_reason"] == "target"
    assert (result.summary["rounds"], result.summary["messages_sent"]) == (0, 0)
    assert result.summary["consensus"] == 1.0


def test_degroot_with_bounded_confidence_is_synchronous_hk_on_the_graph_c20() -> None:
    # C20: epsilon = 0.5 on [0.25, 0.25, 0.75]: one synchronous step gives every agent 1.25/3.
    scenario = make_scenario(
        "degroot",
        3,
        agents={"behaviour": "bounded-confidence", "epsilon": 0.5},
        task={"kind": "opinion"},
        protocol={"max_rounds": 1, "target": 1.0},
    )
    result = run_preset(scenario, np.array([0.25, 0.25, 0.75]))
    assert result.summary["rounds"] == 1
    assert np.allclose(result.final_values[:, 0], 1.25 / 3, rtol=0, atol=1e-15)
    assert not any("invariant" in e for e in result.events if e["event"] == "phase_end")


def test_degroot_with_bounded_confidence_on_a_path_hears_only_neighbours() -> None:
    # Path 0-1-2, epsilon 1: agent 0 averages {0, 1}, agent 1 all three, agent 2 {1, 2}.
    scenario = make_scenario(
        "degroot",
        3,
        agents={"behaviour": "bounded-confidence", "epsilon": 1.0},
        task={"kind": "opinion"},
        network={"topology": {"kind": "grid", "rows": 1}},
        protocol={"max_rounds": 1, "target": 1.0},
    )
    result = run_preset(scenario, np.array([0.0, 0.3, 0.9]))
    assert np.allclose(result.final_values[:, 0], [0.15, 0.4, 0.6], rtol=0, atol=1e-15)

"""Topologies: the graph a scenario's neighbourhood protocols talk over.

A `Graph` is undirected and simple (no self-loops, no repeated edges), held as CSR arrays
(`indptr`, `indices`) with each agent's neighbours sorted, so building and walking it is
cheap and deterministic. Random graphs draw from the run's topology stream, so the same
seed gives the same graph. networkx builds the generators and the real networks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from convergence.edgelist import read_edge_list
from convergence.errors import ConvergenceError
from convergence.scenario import (
    CompleteTopology,
    EdgeListTopology,
    GridTopology,
    NamedTopology,
    RandomRegularTopology,
    RingTopology,
    SmallWorldTopology,
    Topology,
    grid_shape,
)

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["Graph", "build_graph", "graph_from_edges"]

IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class Graph:
    """An undirected simple graph on agents 0..n-1 as CSR adjacency."""

    n: int
    indptr: IntArray
    indices: IntArray
    name: str = ""

    def neighbours(self, agent: int) -> IntArray:
        return self.indices[self.indptr[agent] : self.indptr[agent + 1]]

    @property
    def degrees(self) -> IntArray:
        return np.diff(self.indptr)

    @property
    def n_edges(self) -> int:
        return len(self.indices) // 2

    def components(self) -> IntArray:
        """Component label of every agent (labels 0, 1, ... in order of lowest member)."""
        label = np.full(self.n, -1, dtype=np.int64)
        count = 0
        for start in range(self.n):
            if label[start] >= 0:
                continue
            label[start] = count
            stack = [start]
            while stack:
                node = stack.pop()
                for other in self.neighbours(node).tolist():
                    if label[other] < 0:
                        label[other] = count
                        stack.append(other)
            count += 1
        return label

    @property
    def n_components(self) -> int:
        return int(self.components().max()) + 1 if self.n else 0

    @property
    def is_connected(self) -> bool:
        return self.n_components <= 1


def graph_from_edges(n: int, edges: Iterable[tuple[int, int]], name: str = "") -> Graph:
    """A graph on `n` agents from undirected edges (self-loops and repeats dropped)."""
    pairs = np.array([(a, b) for a, b in edges if a != b], dtype=np.int64).reshape(-1, 2)
    if len(pairs) and (pairs.min() < 0 or pairs.max() >= n):
        bad = int(pairs.max()) if pairs.max() >= n else int(pairs.min())
        raise ConvergenceError(f"graph {name or ''} has node {bad} but only {n} agents (0..{n - 1})")
    src = np.concatenate((pairs[:, 0], pairs[:, 1]))
    dst = np.concatenate((pairs[:, 1], pairs[:, 0]))
    keys = np.unique(src * n + dst)
    src, dst = keys // n, keys % n
    indptr = np.concatenate(([0], np.cumsum(np.bincount(src, minlength=n)))).astype(np.int64)
    return Graph(n=n, indptr=indptr, indices=dst.astype(np.int64), name=name)


def _from_networkx(graph: nx.Graph[Any], name: str) -> Graph:
    import networkx as nx

    relabelled = nx.convert_node_labels_to_integers(graph, ordering="default")
    return graph_from_edges(relabelled.number_of_nodes(), relabelled.edges(), name)


def build_graph(topology: Topology, n: int, rng: np.random.Generator) -> Graph:
    """Build the scenario's graph for `n` agents, drawing any randomness from `rng`.

    Raises:
        ConvergenceError: the graph's node count is not `n`, or its file cannot be read.
    """
    if isinstance(topology, CompleteTopology):
        ids = np.arange(n)
        return graph_from_edges(n, ((a, b) for a in ids.tolist() for b in ids[a + 1 :].tolist()), "complete")
    if isinstance(topology, RingTopology):
        return graph_from_edges(n, ((i, (i + 1) % n) for i in range(n)), "ring")
    if isinstance(topology, EdgeListTopology):
        try:
            edge_list = read_edge_list(Path(topology.path))
        except ValueError as exc:
            raise ConvergenceError(str(exc)) from None
        nodes = topology.nodes if topology.nodes is not None else edge_list.nodes
        _check_count(f"edge-list {topology.path}", nodes, n)
        return graph_from_edges(n, edge_list.edges, f"edge-list {topology.path}")

    import networkx as nx

    seed = int(rng.integers(2**32))
    graph: nx.Graph[Any]
    if isinstance(topology, GridTopology):
        try:
            rows, columns = grid_shape(topology, n)
        except ValueError as exc:
            raise ConvergenceError(str(exc)) from None
        _check_count("grid", rows * columns, n)
        lattice = nx.grid_2d_graph(rows, columns)
        return graph_from_edges(
            n, ((a * columns + b, c * columns + d) for (a, b), (c, d) in lattice.edges()), "grid"
        )
    if isinstance(topology, RandomRegularTopology):
        graph = nx.random_regular_graph(topology.degree, n, seed=seed)
        return _from_networkx(graph, "random-regular")
    if isinstance(topology, SmallWorldTopology):
        return _from_networkx(nx.watts_strogatz_graph(n, topology.k, topology.p, seed=seed), "small-world")
    if isinstance(topology, NamedTopology):
        builders = {
            "karate-club": nx.karate_club_graph,
            "florentine-families": nx.florentine_families_graph,
            "les-miserables": nx.les_miserables_graph,
        }
        graph = builders[topology.name]()
        _check_count(topology.name, graph.number_of_nodes(), n)
        return _from_networkx(graph, topology.name)
    raise AssertionError(topology)  # pragma: no cover - the union is exhaustive


def _check_count(label: str, nodes: int, n: int) -> None:
    if nodes != n:
        raise ConvergenceError(
            f"topology {label} has {nodes} nodes but agents.count is {n}; "
            "set agents.count to match, or to 'topology' to follow the graph"
        )

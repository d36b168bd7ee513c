"""`make bench`: performance figures measured side by side in one run.

Prints: the bare exchange baseline vs the engine on the same N (cost per message and their
ratio), the canonical run's in-process wall time, full symmetric runs at N = 10,000 and
100,000 (wall time and peak RSS, each in a fresh process), and `convergence --help`
whole-process time. Goals are printed next to the measurements; nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.bare import run_bare  # noqa: E402
from convergence.engine import simulate  # noqa: E402
from convergence.loader import load_scenario  # noqa: E402
from convergence.scenario import Scenario  # noqa: E402

_BIG_RUN = """
import json, resource, sys, time
from convergence.engine import simulate
from convergence.loader import load_scenario
scenario = load_scenario(json.loads(sys.argv[1]))
start = time.perf_counter()
result = simulate(scenario)
wall = time.perf_counter() - start
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"wall": wall, "rss_mb": rss, "messages": result.summary["messages_sent"],
                  "consensus": result.summary["consensus"]}))
"""


def _scenario(n: int) -> dict[str, object]:
    return {
        "name": f"bench-{n}",
        "agents": {"count": n},
        "task": {"kind": "estimate", "dimensions": 1},
        "network": {"latency": {"distribution": "lognormal", "median": "5ms", "sigma": 0.5}},
        "protocol": {"phase_timeout": "10s"},
        "record": {"timeline_points": 200},
    }


def _best_of(repeats: int, func: object) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def bare_vs_engine(n: int, repeats: int) -> None:
    scenario: Scenario = load_scenario(_scenario(n))
    messages = run_bare(n)
    bare = _best_of(repeats, lambda: run_bare(n))
    engine_messages = simulate(scenario).summary["messages_sent"] - n  # minus the init broadcast
    engine = _best_of(repeats, lambda: simulate(scenario))
    bare_us = bare / messages * 1e6
    engine_us = engine / (engine_messages + n) * 1e6
    print(
        f"N={n:>6}: bare {bare_us:6.1f} us/msg ({messages} msgs)   engine {engine_us:6.1f} us/msg "
        f"({engine_messages + n} msgs)   ratio {engine_us / bare_us:4.2f}  (goal <= 2.0)"
    )


def canonical(repeats: int) -> None:
    scenario = load_scenario(REPO / "scenarios" / "canonical-22.yaml")
    simulate(scenario)  # warm imports and caches
    walls = [simulate(scenario).summary["wall_time_s"] for _ in range(repeats)]
    print(
        f"canonical-22 in-process: median {statistics.median(walls) * 1e3:.1f} ms, "
        f"best {min(walls) * 1e3:.1f} ms over {repeats} runs  (goal <= 20 ms)"
    )


def big_run(n: int, goal: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _BIG_RUN, json.dumps(_scenario(n))],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    figures = json.loads(proc.stdout)
    print(
        f"N={n:>7} symmetric: wall {figures['wall']:.1f} s, peak RSS {figures['rss_mb']:.0f} MB, "
        f"{figures['messages']} msgs, consensus {figures['consensus']:.6f}  ({goal})"
    )


def help_time(repeats: int) -> None:
    exe = REPO / ".venv" / "bin" / "convergence"
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "convergence"]

    def once() -> None:
        subprocess.run([*command, "--help"], capture_output=True, check=True)

    print(f"convergence --help: best {_best_of(repeats, once) * 1e3:.0f} ms  (goal < 300 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="skip the N = 100,000 run")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}; figures are wall-clock on this machine")
    for n in (1_000, 10_000):
        bare_vs_engine(n, repeats=1 if n > 1000 else 3)
    canonical(repeats=30)
    help_time(repeats=5)
    big_run(10_000, "goal < 5 s")
    if not args.quick:
        big_run(100_000, "goal < 60 s and < 2 GB")


if __name__ == "__main__":
    main()

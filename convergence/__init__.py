"""convergence: simulate multi-agent convergence protocols in virtual time.

The notebook API::

    import convergence as cv
    scenario = cv.load_scenario("scenarios/canonical-22.yaml")
    result = cv.run_sync(scenario)            # or: await cv.run(scenario)
    table = cv.sweep(scenario, grid={"agents.count": [22, 44]}, replicates=30, seed=42)
    table.plot("consensus")
    comparison = cv.compare(scenario, replicates=30)   # every protocol on the same seeds

Names load on first use (PEP 562), so `import convergence` (and `convergence --help`)
stays fast and pulls in neither numpy nor pydantic.
"""

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:
    from convergence.api import run, run_sync
    from convergence.comparison import Comparison, compare
    from convergence.errors import ConvergenceError, ScenarioError
    from convergence.loader import load_scenario
    from convergence.results import Result, SweepResult
    from convergence.scenario import Scenario
    from convergence.sweeper import SweepProgress, load_sweep, sweep

__all__ = [
    "Comparison",
    "ConvergenceError",
    "Result",
    "Scenario",
    "ScenarioError",
    "SweepProgress",
    "SweepResult",
    "compare",
    "load_scenario",
    "load_sweep",
    "run",
    "run_sync",
    "sweep",
]

_HOME = {
    "Comparison": "convergence.comparison",
    "ConvergenceError": "convergence.errors",
    "Result": "convergence.results",
    "Scenario": "convergence.scenario",
    "ScenarioError": "convergence.errors",
    "SweepProgress": "convergence.sweeper",
    "SweepResult": "convergence.results",
    "compare": "convergence.comparison",
    "load_scenario": "convergence.loader",
    "load_sweep": "convergence.sweeper",
    "run": "convergence.api",
    "run_sync": "convergence.api",
    "sweep": "convergence.sweeper",
}


def __getattr__(name: str) -> _typing.Any:
    if name not in _HOME:
        raise AttributeError(f"module 'convergence' has no attribute {name!r}")
    value = getattr(_importlib.import_module(_HOME[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])

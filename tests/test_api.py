"""The public API: lazy package names, `run`/`run_sync` (C07), `Scenario.with_`."""

from __future__ import annotations

import asyncio
import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import convergence
from convergence.errors import ScenarioError

ROOT = Path(__file__).resolve().parents[1]
CANONICAL = ROOT / "scenarios" / "canonical-22.yaml"


def _without_wall_time(summary: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in summary.items() if k != "wall_time_s"}


def test_all_is_sorted_complete_and_resolves() -> None:
    names = convergence.__all__
    assert names == sorted(names)
    promised = {"Result", "Scenario", "SweepResult", "compare", "load_scenario", "run", "run_sync", "sweep"}
    assert promised <= set(names)
    public = {
        n for n, v in vars(convergence).items() if not n.startswith("_") and not isinstance(v, ModuleType)
    }
    for name in names:
        assert getattr(convergence, name) is not None
    # Every name the package hands out (resolved ones land in its globals) is in __all__.
    assert public <= set(names), public - set(names)
    with pytest.raises(AttributeError, match=r"^module 'convergence' has no attribute 'nope'$"):
        _ = convergence.nope


def test_no_public_name_is_shadowed_by_a_submodule() -> None:
    # Importing a submodule binds its name on the package: `convergence/sweep.py` would
    # replace the `sweep` function once anything imported it.
    for module in pkgutil.walk_packages(convergence.__path__, "convergence."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    for name in convergence.__all__:
        assert not isinstance(getattr(convergence, name), ModuleType), name


def test_import_convergence_pulls_in_no_heavy_dependency() -> None:
    code = "import sys, convergence; print(sorted({'numpy', 'pydantic', 'anyio'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_c07_run_sync_inside_running_loop_matches_cli(tmp_path: Path) -> None:
    subprocess.run(
        [ROOT / ".venv" / "bin" / "convergence", "run", CANONICAL, "--out", tmp_path / "run"],
        check=True,
        capture_output=True,
    )
    cli_summary = json.loads((tmp_path / "run" / "summary.json").read_text())

    async def in_a_loop() -> convergence.Result:
        asyncio.get_running_loop()  # a loop is running here, as in a Jupyter cell
        return convergence.run_sync(convergence.load_scenario(CANONICAL))

    result = asyncio.run(in_a_loop())
    assert "nest_asyncio" not in sys.modules
    assert _without_wall_time(json.loads(json.dumps(result.summary))) == _without_wall_time(cli_summary)


def test_await_run_gives_the_same_result_and_streams_events() -> None:
    seen: list[str] = []

    async def main() -> convergence.Result:
        return await convergence.run(CANONICAL, seed=3, on_event=lambda e: seen.append(e["event"]))

    awaited = asyncio.run(main())
    direct = convergence.run_sync(CANONICAL, seed=3)
    assert _without_wall_time(awaited.summary) == _without_wall_time(direct.summary)
    assert seen == [e["event"] for e in direct.events]
    assert seen[0] == "run_start"
    assert seen[-1] == "run_end"


def test_with_changes_dotted_fields_and_validates_like_a_file() -> None:
    scenario = convergence.load_scenario(CANONICAL)
    bigger = scenario.with_(seed=3, **{"agents.count": 44, "network.drop": 0.1})
    assert (bigger.agents.count, bigger.network.drop, bigger.seed) == (44, 0.1, 3)
    assert bigger.protocol == scenario.protocol
    assert scenario.agents.count == 22  # the original is unchanged (frozen)
    with pytest.raises(ScenarioError, match=r"^with_\(\): agents\.count: must be >= 1, got 0$"):
        scenario.with_(**{"agents.count": 0})
    typo = r"^with_\(\): network\.latancy: unknown field 'latancy' \(did you mean 'latency'\?\)$"
    with pytest.raises(ScenarioError, match=typo):
        scenario.with_(**{"network.latancy": 1})

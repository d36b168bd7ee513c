"""Explicit plugins: Python modules that register extra agent behaviours.

Scenario files never execute code. A plugin loads only when the caller names it (the
`plugins=` argument of `run`/`sweep`, or `--plugin` on the command line), either as an
importable module name (`mylab.behaviours`) or as a path to a `.py` file. Importing the
module is what registers its behaviours (see `agents.register_behaviour`).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

from convergence.errors import ConvergenceError

__all__ = ["PluginError", "load_plugins"]


class PluginError(ConvergenceError):
    """A plugin named by the caller cannot be found or fails to import."""


def load_plugins(names: Iterable[str]) -> list[ModuleType]:
    """Import each plugin once (module name or `.py` path) and return the modules."""
    return [_load(name) for name in names]


def _load(name: str) -> ModuleType:
    if name.endswith(".py") or "/" in name:
        path = Path(name).resolve()
        # One module name per file, so a plugin imported twice registers once.
        module_name = "convergence_plugin_" + hashlib.sha1(str(path).encode()).hexdigest()[:12]
        if module_name in sys.modules:
            return sys.modules[module_name]
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None or not path.is_file():
            raise PluginError(f"plugin file {name!r} not found")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            del sys.modules[module_name]
            raise PluginError(f"plugin {name!r} failed to import: {type(exc).__name__}: {exc}") from exc
        return module
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise PluginError(f"plugin module {name!r} cannot be imported: {exc}") from exc

"""Physical units in scenario files: durations such as `5ms`, `2.5s`, `1m`."""

from __future__ import annotations

import math
import re

__all__ = ["format_duration", "parse_duration"]

_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(us|µs|ms|s|m|h)?\s*$")
_SCALE = {"us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(value: object) -> float:
    """Return seconds for a duration: a number of seconds or a string with a unit.

    Raises:
        ValueError: the value is not a finite, non-negative duration.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a duration such as 5ms or 2s, got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        match = _DURATION.match(value)
        if match is None:
            raise ValueError(
                f"expected a duration such as 5ms, 2.5s or 1m (units: us, ms, s, m, h), got {value!r}"
            )
        seconds = float(match.group(1)) * _SCALE[match.group(2)]
    else:
        raise ValueError(f"expected a duration such as 5ms or 2s, got {value!r}")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"a duration must be finite and >= 0, got {value!r}")
    return seconds


def format_duration(seconds: float) -> str:
    """Render seconds compactly with a unit (`5ms`, `2.5s`), exactly re-parseable."""
    if seconds == 0:
        return "0s"
    if seconds < 1e-3:
        return f"{seconds * 1e6:g}us"
    if seconds < 1:
        return f"{seconds * 1e3:g}ms"
    return f"{seconds:g}s"

"""Physical units in scenario files: durations such as `5ms`, `2.5s`, `1m`."""

from __future__ import annotations

import math
import re

__all__ = ["format_duration", "parse_duration", "parse_positive_duration"]

_DURATION = re.compile(r"^\s*([-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)\s*(us|µs|ms|s|m|h)?\s*$")
_SCALE = {"us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}
_EXAMPLE = "a duration such as 5ms, 2.5s or 1m (units us, ms, s, m, h; a bare number means seconds)"


def parse_duration(value: object) -> float:
    """Return seconds for a duration: a number of seconds or a string with a unit.

    Raises:
        ValueError: the value is not a finite duration >= 0; the message names the value.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        shown = (
            str(value).lower()
            if isinstance(value, bool)
            else "an empty value"
            if value is None
            else "a list or mapping"
        )
        raise ValueError(f"expected {_EXAMPLE}, got {shown}")
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match is None:
            raise ValueError(f"expected {_EXAMPLE}, got {value!r}")
        seconds = float(match.group(1)) * _SCALE[match.group(2)]
    else:
        seconds = float(value)
    if not math.isfinite(seconds):
        raise ValueError(f"must be a finite duration, got {_written(value)}")
    if seconds < 0:
        raise ValueError(f"must be >= 0, got {_written(value)}")
    return seconds


def parse_positive_duration(value: object) -> float:
    """Like `parse_duration`, but zero is refused too (timeouts, periods)."""
    seconds = parse_duration(value)
    if seconds == 0:
        raise ValueError(f"must be > 0, got {_written(value)}; use a small positive duration such as 1ms")
    return seconds


def _written(value: object) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else ("-.inf" if value < 0 else ".inf")
    return str(value).strip()


def format_duration(seconds: float) -> str:
    """Render seconds compactly with a unit (`5ms`, `2.5s`), exactly re-parseable."""
    if seconds == 0:
        return "0s"
    if seconds < 1e-3:
        text = f"{seconds * 1e6:g}us"
    elif seconds < 1:
        text = f"{seconds * 1e3:g}ms"
    else:
        text = f"{seconds:g}s"
    return text if parse_duration(text) == seconds else f"{seconds!r}s"

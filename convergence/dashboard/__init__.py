"""The live terminal dashboard: a face over the engine's event stream (the engine never imports it).

`DashboardState` folds events; `render_dashboard` turns a state and a terminal size into a
frame; `convergence.dashboard.live` drives a Rich `Live` display (or plain lines when the
output is not a terminal), pacing virtual time against the wall clock.
"""

from __future__ import annotations

from convergence.dashboard.layout import Frame, render_dashboard
from convergence.dashboard.state import DashboardState

__all__ = ["DashboardState", "Frame", "render_dashboard"]

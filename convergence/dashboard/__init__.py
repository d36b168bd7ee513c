"""The live dashboard: a face over the engine's event stream (the engine never imports it).

`DashboardState` folds events; `render_dashboard` turns a state and a terminal size into a
frame; `LiveDashboard` drives a Rich `Live` display in a terminal, `NotebookDashboard` one
display per Jupyter cell, `PlainProgress` a few plain lines elsewhere; `Pacer` paces
virtual time against the wall clock.
"""

from __future__ import annotations

from convergence.dashboard.layout import Frame, render_dashboard
from convergence.dashboard.live import LiveDashboard, Pacer, PlainProgress
from convergence.dashboard.notebook import NotebookDashboard
from convergence.dashboard.state import DashboardState

__all__ = [
    "DashboardState",
    "Frame",
    "LiveDashboard",
    "NotebookDashboard",
    "Pacer",
    "PlainProgress",
    "render_dashboard",
]

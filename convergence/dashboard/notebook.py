"""The dashboard in a Jupyter notebook: one display per cell, updated in place.

Rich's `Live` needs ipywidgets in Jupyter and a second live cell may stop updating; this
subscriber instead opens one IPython display (with a display id) in the cell that runs, and
replaces its content on each refresh, so every cell ends with exactly one final panel.

    import convergence as cv
    from convergence.dashboard.notebook import NotebookDashboard
    cv.run_sync("scenarios/canonical-22.yaml", on_event=NotebookDashboard())
"""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console

from convergence.dashboard.layout import Frame, render_dashboard
from convergence.dashboard.live import DEFAULT_SPEED, PacedView, parse_speed

__all__ = ["NotebookDashboard"]

_PRE = (
    '<pre style="white-space:pre;overflow-x:auto;line-height:normal;'
    "font-family:Menlo,'DejaVu Sans Mono',consolas,'Courier New',monospace\">{code}</pre>"
)


class _FrameView:
    """What the notebook shows: the frame as HTML (coloured) and as plain text."""

    def __init__(self, frame: Frame) -> None:
        self.frame = frame

    def _repr_html_(self) -> str:
        # force_jupyter=False: in a kernel Rich would otherwise display each print itself
        console = Console(
            file=io.StringIO(),
            record=True,
            width=self.frame.width,
            force_terminal=True,
            force_jupyter=False,
            color_system="truecolor",
        )
        console.print(self.frame, end="")
        return console.export_html(inline_styles=True, code_format=_PRE)

    def __repr__(self) -> str:
        return self.frame.plain()


class NotebookDashboard(PacedView):
    """An event subscriber that draws the dashboard into the running notebook cell.

    It opens its display at the first event, so create one per run (per cell). `speed`
    paces as in the terminal (`None` or `"max"`: no pacing); `fps` bounds the updates sent.
    """

    def __init__(
        self,
        *,
        speed: float | str | None = DEFAULT_SPEED,
        width: int = 100,
        height: int = 32,
        fps: float = 8.0,
    ) -> None:
        super().__init__(speed=parse_speed(speed) if isinstance(speed, str) else speed, fps=fps)
        self.width = width
        self.height = height
        self._handle: Any = None

    def refresh(self) -> None:
        """Draw the current state: the first call opens the display, later ones replace it."""
        from IPython.display import display

        frame = render_dashboard(
            self.state, width=self.width, height=self.height, wall_time=self.pacer.wall_elapsed
        )
        view = _FrameView(frame)
        if self._handle is None:
            self._handle = display(view, display_id=True)  # type: ignore[no-untyped-call]
        else:
            self._handle.update(view)
        super().refresh()

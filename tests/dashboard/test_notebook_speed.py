"""The notebook dashboard takes the same `speed` values as the command line."""

from __future__ import annotations

import pytest

from convergence.dashboard.notebook import NotebookDashboard


def test_speed_max_means_no_pacing_and_a_bad_speed_is_refused() -> None:
    assert NotebookDashboard(speed="max").pacer.speed is None
    assert NotebookDashboard(speed="0.5").pacer.speed == 0.5
    with pytest.raises(ValueError, match=r"^speed must be a positive number or 'max', got 'fast'$"):
        NotebookDashboard(speed="fast")

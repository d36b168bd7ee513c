"""C11: the dashboard in two consecutive notebook cells of a real Jupyter kernel."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.dashboard.conftest import CANONICAL

jupyter_client = pytest.importorskip("jupyter_client")
pytest.importorskip("ipykernel")

CELL = f"""
import convergence as cv
from convergence.dashboard.notebook import NotebookDashboard
result = cv.run_sync({str(CANONICAL)!r}, on_event=NotebookDashboard(speed=None, fps=1000))
print("consensus", round(result.summary["consensus"], 4))
"""


@pytest.fixture
def kernel(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")  # silences jupyter_core's path-migration warning
    manager, client = jupyter_client.manager.start_new_kernel(kernel_name="python3", cwd=str(tmp_path))
    try:
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


@pytest.mark.slow
def test_c11_two_cells_each_update_their_own_single_display(kernel: Any) -> None:
    display_ids = []
    for _ in range(2):
        messages: list[dict[str, Any]] = []
        reply = kernel.execute_interactive(CELL, output_hook=messages.append, timeout=120)
        assert reply["content"]["status"] == "ok", reply["content"]
        kinds = [m["msg_type"] for m in messages]
        assert "error" not in kinds
        displays = [m["content"] for m in messages if m["msg_type"] == "display_data"]
        updates = [m["content"] for m in messages if m["msg_type"] == "update_display_data"]
        # one display opened in the cell, then updated in place: one final panel, not one per frame
        assert len(displays) == 1
        display_id = displays[0]["transient"]["display_id"]
        assert len(updates) >= 14  # at least every phase start and end
        assert {u["transient"]["display_id"] for u in updates} == {display_id}
        final = updates[-1]["data"]
        assert "✓ full" in final["text/plain"]
        assert "─ merge tree" in final["text/plain"]
        assert final["text/html"].startswith("<pre")
        assert "merge tree" in final["text/html"]
        printed = "".join(m["content"]["text"] for m in messages if m["msg_type"] == "stream")
        assert printed == "consensus 0.978\n"
        display_ids.append(display_id)
    assert display_ids[0] != display_ids[1]

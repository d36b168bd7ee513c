"""examples/quickstart.ipynb runs top to bottom in a real Jupyter kernel and draws its figures."""

from __future__ import annotations

from pathlib import Path

import pytest

nbclient = pytest.importorskip("nbclient")
nbformat = pytest.importorskip("nbformat")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.slow
def test_c07_quickstart_notebook_runs_in_a_real_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")  # silences jupyter_core's path-migration warning
    notebook = nbformat.read(EXAMPLES / "quickstart.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(EXAMPLES)}}
    )
    client.execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    figures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(figures) == 3  # the run's timeline and two sweep plots
    tables = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("canonical-22 (symmetric, seed 7)" in html for html in tables)
    assert any("sweep: 36 runs, 0 failed, complete" in html for html in tables)
    # A metric defined in a notebook cell reached the process workers (by value).
    assert any("messages_per_agent" in html for html in tables)

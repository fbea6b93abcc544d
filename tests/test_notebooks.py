"""The researchers' notebooks run top to bottom on synthetic data and draw their plots."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))

pytestmark = pytest.mark.notebooks


def test_the_three_notebooks_are_there_without_outputs() -> None:
    names = [path.name for path in NOTEBOOKS]
    assert names == ["01_tune_weights.ipynb", "02_fairness.ipynb", "03_learn_weights.ipynb"]
    for path in NOTEBOOKS:
        book = nbformat.read(path, as_version=4)
        for cell in book.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [], f"{path.name} is committed with outputs"
                assert cell.execution_count is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_plots(path: Path) -> None:
    book = nbformat.read(path, as_version=4)
    # The Makefile registers the project's venv as the "python3" kernel.
    client = NotebookClient(
        book, kernel_name="python3", timeout=110, resources={"metadata": {"path": path.parent}}
    )
    client.execute()  # raises CellExecutionError with the failing cell's traceback
    outputs = [output for cell in book.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert images, f"{path.name} drew no plot"

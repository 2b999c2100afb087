"""The analysis notebook runs on a sweep made here, so it cannot rot."""
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from meta_lightning.cli import main
from tests.helpers.runs import tiny_sweep_file

pytestmark = pytest.mark.slow  # over 5 s a test on 2 cores: a real model, a Trainer run or a sweep

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def test_ablation_notebook_executes_on_a_tiny_partial_sweep(tmp_path, monkeypatch):
    main(["sweep", "--config", str(tiny_sweep_file(tmp_path, ["sentiment", "emotion"]))])
    (tmp_path / "sweep" / "cells" / "sentiment+emotion__seed0" / "summary.json").unlink()  # partial: one pending
    monkeypatch.setenv("META_LIGHTNING_SWEEP_DIR", str(tmp_path / "sweep"))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(NOTEBOOKS.parent), os.environ.get("PYTHONPATH", "")]))
    nb = nbformat.read(NOTEBOOKS / "ablation_analysis.ipynb", as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    text = "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert "4 cells, 3 finished runs, 1 pending" in text  # untrained + 3 subsets
    assert any("image/png" in o.get("data", {}) for o in outputs)
    assert "sentiment+emotion" in text and not [o for o in outputs if o.output_type == "error"]

"""The same sweep and report commands over a weight-reading config (kind: weights)."""
import csv
import json

import pytest
import yaml

from meta_lightning.cli import main
from meta_lightning.weights import tracr_available
from tests.helpers.runs import EXPERIMENTS

pytestmark = pytest.mark.slow  # over 5 s a test on 2 cores: a real model, a Trainer run or a sweep

needs_tracr = pytest.mark.skipif(not tracr_available(), reason='needs the weights extra: pip install -e ".[weights]"')


@needs_tracr
def test_a_weights_sweep_generates_once_runs_its_cells_and_reports_exact_match(tmp_path, capsys):
    tiny = {"extends": str(EXPERIMENTS / "weights" / "tracr_small.yaml"),
            "trainer": {"max_steps": 3, "val_check_interval": 3, "enable_progress_bar": False},
            "data": {"generation": {"programs": 24, "shard_size": 12, "max_ops": 3}, "workers": 1,
                     "cache_dir": str(tmp_path / "cache")},
            "model": {"d_model": 32, "layers": 1, "heads": 2}}
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(tiny))
    spec = {"configs": ["tiny.yaml"], "grid": {"data.encoding.kind": ["matrices", "chunks"]}, "seeds": [0, 1],
            "baseline": False, "directory": str(tmp_path / "sweep"), "isolate": False}
    (tmp_path / "sweep.yaml").write_text(yaml.safe_dump({"sweep": spec}))
    main(["sweep", "--config", str(tmp_path / "sweep.yaml")])
    out = capsys.readouterr().out
    assert out.count("weights: generating") == 1  # the programs are generated once, before the cells
    cells = sorted(p.name for p in (tmp_path / "sweep" / "cells").iterdir())
    assert cells == ["kind=chunks__seed0", "kind=chunks__seed1",
                     "kind=matrices__seed0", "kind=matrices__seed1"]
    for cell in cells:
        summary = json.loads((tmp_path / "sweep" / "cells" / cell / "summary.json").read_text())
        assert summary["metric"] == "exact_match" and set(summary["baselines"]["random"]) == {"test", "hand_written", "library"}
    main(["report", str(tmp_path / "sweep")])
    table = list(csv.DictReader((tmp_path / "sweep" / "report.csv").open()))
    assert [r["cell"] for r in table] == ["kind=matrices", "kind=chunks"]
    for row in table:
        assert row["seeds"] == "2" and 0 <= float(row["test_exact_mean"]) <= 1
        assert 0 <= float(row["hand_written_random_exact_mean"]) <= 1
    assert "test exact (mean ± sd)" in (tmp_path / "sweep" / "report.md").read_text()
    assert (tmp_path / "sweep" / "report.png").stat().st_size > 0
    # exact match by program length per cell, beside Tracr's library
    report = (tmp_path / "sweep" / "report.md").read_text()
    assert "Exact match by program length (sampled test programs):" in report and "| Tracr's library |" in report
    assert (tmp_path / "sweep" / "report_lengths.png").stat().st_size > 0

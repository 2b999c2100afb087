"""Same config and seed: the same cache key, batches and logged metrics, exactly (CPU, fp32)."""
import json

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from meta_lightning.cli import main
from tests.helpers.runs import tiny_run_config

pytestmark = pytest.mark.slow  # over 5 s a test on 2 cores: a real model, a Trainer run or a sweep


def _scalars(run):
    events = EventAccumulator(str(run)).Reload()
    # repr, so that the NaN placeholders of the HParams metrics compare equal
    return {tag: [(e.step, repr(e.value)) for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]}


def test_two_fits_with_one_seed_log_identical_metrics(tmp_path):
    config = tiny_run_config(tmp_path)
    main(["fit", "--config", str(config)])
    main(["fit", "--config", str(config)])
    runs = tmp_path / "runs" / "tiny"
    first, second = _scalars(runs / "version_0"), _scalars(runs / "version_1")
    assert "train/loss" in first and "val/lies/auroc" in first
    assert first == second
    s0, s1 = (json.loads((runs / v / "summary.json").read_text()) for v in ("version_0", "version_1"))
    assert s0["datasets"] == s1["datasets"]


def test_another_sampling_seed_changes_the_batches_but_not_the_cache(tmp_path):
    config = tiny_run_config(tmp_path)
    main(["fit", "--config", str(config)])
    main(["fit", "--config", str(config), "--data.sampling_seed", "7"])
    runs = tmp_path / "runs" / "tiny"
    assert _scalars(runs / "version_0")["train/loss"] != _scalars(runs / "version_1")["train/loss"]

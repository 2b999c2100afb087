"""A run killed mid-epoch and resumed with --ckpt_path reaches the same metrics as one never stopped."""
import json

import pytest
import torch
import yaml
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from meta_lightning.cli import main
from tests.helpers.interrupt import Killed
from tests.helpers.runs import tiny_run_config

pytestmark = pytest.mark.slow  # over 5 s a test on 2 cores: a real model, a Trainer run or a sweep


def _losses(run):
    events = EventAccumulator(str(run)).Reload()
    return {e.step: e.value for e in events.Scalars("train/loss")}


def test_killed_fit_resumes_from_last_checkpoint_to_the_same_result(tmp_path):
    config = tiny_run_config(tmp_path, **{"trainer.max_steps": 8, "trainer.val_check_interval": 3})
    runs = tmp_path / "runs" / "tiny"
    main(["fit", "--config", str(config)])  # version_0: never stopped
    kill = tmp_path / "kill.yaml"
    kill.write_text(yaml.safe_dump({"trainer": {"callbacks": [
        {"class_path": "tests.helpers.interrupt.KillAtStep", "init_args": {"step": 5}}]}}))
    with pytest.raises(Killed):
        main(["fit", "--config", str(config), "--config", str(kill)])  # version_1: killed after step 5
    last = runs / "version_1" / "checkpoints" / "last.ckpt"
    assert torch.load(last, weights_only=True)["global_step"] == 3  # the checkpoint of the step-3 validation
    main(["fit", "--config", str(config), "--ckpt_path", str(last)])  # version_2: resumed
    full, resumed = (json.loads((runs / v / "summary.json").read_text()) for v in ("version_0", "version_2"))
    assert resumed["global_step"] == full["global_step"] == 8
    for name, d in full["datasets"].items():
        assert resumed["datasets"][name]["accuracy"] == pytest.approx(d["accuracy"], abs=1e-6)
        assert resumed["datasets"][name]["auroc"] == pytest.approx(d["auroc"], abs=1e-6)
    # Same batches after the restart: the training losses of steps 4..8 agree.
    a, b = _losses(runs / "version_0"), _losses(runs / "version_2")
    assert sorted(b) == [s for s in sorted(a) if s >= 3]
    for step, value in b.items():
        assert value == pytest.approx(a[step], rel=1e-5, abs=1e-6)
    # The reporter's histories travel in the checkpoint: the resumed run's learning curve starts at step 1.
    ckpt = torch.load(runs / "version_2" / "checkpoints" / "last.ckpt", weights_only=True)
    history = next(v for k, v in ckpt["callbacks"].items() if "RunReporter" in k)["loss_history"]
    assert [step for step, _ in history] == list(range(1, ckpt["global_step"] + 1)) and ckpt["global_step"] > 3
    assert (runs / "version_2" / "learning_curve.png").stat().st_size > 0

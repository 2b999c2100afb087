"""The main command on the real default model, shrunk to a few steps: what CI runs end to end."""
import json

import pytest

from meta_lightning.cli import main
from tests.helpers.runs import EXPERIMENTS

pytestmark = pytest.mark.slow  # over 5 s a test on 2 cores: a real model, a Trainer run or a sweep


def test_multilingual_yaml_runs_end_to_end_on_the_default_model(user_cache, tmp_path, capsys):
    shrink = ["--data.splits.train", "8", "--data.splits.val", "2", "--data.splits.test", "2", "--data.splits.eval_test", "2",
              "--data.loader.batch_size", "4",
              "--data.cache_dir", str(tmp_path / "cache"), "--trainer.max_steps", "2", "--trainer.val_check_interval", "2",
              "--trainer.logger.init_args.save_dir", str(tmp_path / "runs"), "--trainer.enable_progress_bar", "false"]
    main(["fit", "--config", str(EXPERIMENTS / "multilingual.yaml"), *shrink])
    out = capsys.readouterr().out
    run = tmp_path / "runs" / "multilingual" / "version_0"
    summary = json.loads((run / "summary.json").read_text())
    assert summary["input_model"] == summary["meta_model"] == "smollm2-135m-instruct"
    assert summary["global_step"] == 2 and set(summary["datasets"]) == {"multilingual", "lies", "lies_answer_only"}
    assert summary["datasets"]["lies"]["questions"] == 2  # splits.eval_test 2, one question each
    assert set(summary["baselines"]) == {"probe", "probe_transfer", "untrained", "question_only"}
    assert set(summary["baselines"]["probe_transfer"]) == {"lies", "lies_answer_only"}
    assert "input-model tokens" in out and "lies" in out and str(run) in out
    assert summary["machine"]["precision"] in ("32-true", "bf16-mixed") and summary["machine"]["devices"] == 1
    assert f"precision {summary['machine']['precision']}" in out
    assert (run / "config.yaml").is_file() and (run / "checkpoints" / "last.ckpt").is_file()


def test_cross_family_cpu_config_runs_minilm_into_smollm2(user_cache, tmp_path, capsys):
    """BERT d=384 reads, SmolLM2 d=576 answers: only the config differs from the same-model run."""
    shrink = ["--data.splits.train", "6", "--data.splits.val", "2", "--data.splits.test", "2", "--data.splits.eval_test", "2",
              "--data.loader.batch_size", "4", "--baselines", "[]",
              "--data.cache_dir", str(tmp_path / "cache"), "--trainer.max_steps", "2", "--trainer.val_check_interval", "2",
              "--trainer.logger.init_args.save_dir", str(tmp_path / "runs"), "--trainer.enable_progress_bar", "false"]
    main(["fit", "--config", str(EXPERIMENTS / "cross_family" / "minilm__smollm2.yaml"), *shrink])
    run = tmp_path / "runs" / "minilm__smollm2" / "version_0"
    summary = json.loads((run / "summary.json").read_text())
    assert summary["input_model"] == "all-minilm-l6-v2" and summary["meta_model"] == "smollm2-135m-instruct"
    assert summary["global_step"] == 2 and summary["datasets"]["lies"]["questions"] == 2
    import torch

    weights = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]
    assert weights["net.projector.net.weight"].shape == (576, 384)
    assert weights["net.projector.mean"].shape == (3, 384)  # standardised with the MiniLM training statistics

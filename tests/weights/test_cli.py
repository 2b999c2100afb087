import json

import pytest

from meta_lightning.commands import config_kind
from meta_lightning.weights import tracr_available
from tests.helpers.runs import EXPERIMENTS

needs_tracr = pytest.mark.skipif(not tracr_available(), reason='needs the weights extra: pip install -e ".[weights]"')


def test_the_kind_comes_from_the_config_chain_or_the_flag(tmp_path):
    base = tmp_path / "base.yaml"
    base.write_text("kind: weights\ndata:\n  batch_size: 4\n")
    child = tmp_path / "child.yaml"
    child.write_text("extends: base.yaml\nmodel:\n  layers: 1\n")
    assert config_kind(["fit", "--config", str(child)]) == "weights"
    assert config_kind(["fit", "--config", str(EXPERIMENTS / "multilingual.yaml")]) == "activations"
    assert config_kind(["fit", "--config", str(EXPERIMENTS / "weights" / "tracr_small.yaml")]) == "weights"
    assert config_kind(["fit", "--kind", "weights"]) == "weights"


@needs_tracr
def test_fit_trains_tests_and_runs_the_random_weights_baseline(tmp_path, capsys):
    from meta_lightning.cli import main

    main(["fit", "--config", str(EXPERIMENTS / "weights" / "tracr_small.yaml"),
          "--data.generation.programs", "24", "--data.generation.shard_size", "12", "--data.generation.max_ops", "3",
          "--data.workers", "1", "--data.cache_dir", str(tmp_path / "cache"), "--trainer.max_steps", "4",
          "--trainer.val_check_interval", "2", "--trainer.enable_progress_bar", "false",
          "--trainer.logger.init_args.save_dir", str(tmp_path / "runs"), "--model.d_model", "32", "--model.layers", "1",
          "--model.heads", "2"])
    run = tmp_path / "runs" / "weights" / "version_0"
    real, random_ = (json.loads((run / f).read_text()) for f in ("summary.json", "summary_random.json"))
    assert real["inputs"] == "real" and random_["inputs"] == "random"
    for summary in (real, random_):
        assert set(summary["datasets"]) == {"test", "hand_written"}
        hand = summary["datasets"]["hand_written"]
        assert hand["programs"] == 4 and set(hand["programs_exact"]) == {"length", "reverse", "sort", "histogram"}
        lo, hi = hand["exact_match_ci95"]
        assert lo <= hand["exact_match"] <= hi and 0 <= hand["token_accuracy"] <= 1
        assert set(hand["by_length"]) == {"1", "2", "4"}
    assert (run / "config.yaml").is_file() and "kind: weights" in (run / "config.yaml").read_text()

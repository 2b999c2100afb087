"""Every YAML under experiments/ parses through the real CLI, so none can rot."""

import pytest
import yaml

from meta_lightning.cli import main
from tests.helpers.runs import EXPERIMENTS

ALL = sorted(p for p in EXPERIMENTS.rglob("*.yaml") if p.name != "base.yaml")
SWEEPS = [p for p in ALL if "sweep" in (yaml.safe_load(p.read_text()) or {})]
RUNNABLE = [p for p in ALL if p not in SWEEPS]


def test_there_are_experiments():
    assert {p.name for p in RUNNABLE} >= {"sentiment.yaml", "emotion.yaml", "language.yaml", "multilingual.yaml", "all.yaml",
                                          "minilm__smollm2.yaml", "llama31_8b__phi2.yaml", "llama31_8b__internlm25_7b.yaml",
                                          "tracr_small.yaml"}
    assert {p.name for p in SWEEPS} >= {"ablation.yaml", "encodings.yaml"}


def _header(path):
    return "\n".join(line for line in path.read_text().splitlines() if line.startswith("#"))


@pytest.mark.parametrize("path", RUNNABLE, ids=lambda p: str(p.relative_to(EXPERIMENTS)))
def test_experiment_parses_and_starts_with_a_comment_on_what_and_how_long(path, capsys):
    first = path.read_text().splitlines()[0]
    assert first.startswith("# ")
    assert "min" in _header(path) or "hour" in _header(path), "say how long it takes"
    with pytest.raises(SystemExit) as e:
        main(["fit", "--config", str(path), "--print_config"])
    assert e.value.code in (0, None)
    printed = yaml.safe_load(capsys.readouterr().out)
    if path.parent.name == "weights":  # the weight-reading side: its own CLI, chosen by `kind: weights`
        assert printed["kind"] == "weights" and printed["data"]["generation"]["programs"] >= 5000
        return
    assert printed["data"]["behaviors"] and printed["data"]["eval_behaviors"][:2] == ["lies", "lies_answer_only"]


@pytest.mark.slow  # reads the real default model's config for every cell's layer check
@pytest.mark.parametrize("path", SWEEPS, ids=lambda p: str(p.relative_to(EXPERIMENTS)))
def test_sweep_lists_its_cells(path, capsys, tmp_path, user_cache):  # the default model, converted by set-up
    assert path.read_text().startswith("# ") and "min" in _header(path)
    main(["sweep", "--config", str(path), "--dry-run", "--directory", str(tmp_path / "sweep")])
    out = capsys.readouterr().out
    assert "cells, 0 done" in out
    if path.name == "ablation.yaml":  # 15 combinations x 3 seeds + an untrained baseline per seed
        assert "48 cells, 0 done, 48 to run" in out and "sentiment+emotion+language+multilingual__seed2" in out
    if path.name == "encodings.yaml":  # 3 encodings x 3 seeds, each cell with its own random-weights baseline
        assert "9 cells, 0 done, 9 to run" in out and "chunks__seed2" in out
    if path.name == "oracle_diversity.yaml":  # six mixtures and the untrained oracle; input_model: same is checked
        assert "7 cells, 0 done, 7 to run" in out and "all_3_categories__seed0" in out

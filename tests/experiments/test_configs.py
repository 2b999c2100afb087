"""Every YAML under experiments/ parses through the real CLI, so none can rot."""
from pathlib import Path

import pytest
import yaml

from meta_lightning.cli import main

EXPERIMENTS = Path(__file__).resolve().parents[2] / "experiments"
RUNNABLE = sorted(p for p in EXPERIMENTS.rglob("*.yaml") if p.name != "base.yaml")


def test_there_are_experiments():
    assert {p.name for p in RUNNABLE} >= {"sentiment.yaml", "emotion.yaml", "language.yaml", "multilingual.yaml", "all.yaml"}


@pytest.mark.parametrize("path", RUNNABLE, ids=lambda p: str(p.relative_to(EXPERIMENTS)))
def test_experiment_parses_and_starts_with_a_comment_on_what_and_how_long(path, capsys):
    first = path.read_text().splitlines()[0]
    assert first.startswith("# ")
    header = "\n".join(line for line in path.read_text().splitlines() if line.startswith("#"))
    assert "min" in header or "hour" in header, "say how long it takes"
    with pytest.raises(SystemExit) as e:
        main(["fit", "--config", str(path), "--print_config"])
    assert e.value.code in (0, None)
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["data"]["behaviors"] and printed["data"]["eval_behaviors"] == ["lies"]

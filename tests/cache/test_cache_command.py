"""`python -m meta_lightning cache` fills the activation cache that `fit` then reads, also when the meta-model
reads its own activations (``input_model: same``)."""
import re

import pytest

from meta_lightning.cli import main
from tests.helpers.runs import tiny_run_config


def _tokens(out: str) -> int:
    return int(re.search(r"input-model tokens processed: ([\d,]+)", out).group(1).replace(",", ""))


@pytest.mark.parametrize("same", [False, True])
def test_cache_fills_once_then_reads(tmp_path, capsys, monkeypatch, same):
    overrides = {"data.input_model": "same"} if same else {}
    config = tiny_run_config(tmp_path, **overrides)
    monkeypatch.setenv("META_LIGHTNING_CACHE", str(tmp_path / "cache"))
    main(["cache", "--config", str(config)])
    first = _tokens(capsys.readouterr().out)
    main(["cache", "--config", str(config)])
    assert first > 0 and _tokens(capsys.readouterr().out) == 0

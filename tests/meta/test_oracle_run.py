"""An activation-oracle run through the real CLI on a tiny model: the meta-model reads its own base weights
(``input_model: same``), trains on Yes/No and free-text questions at once, and reports both kinds."""
import json

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from meta_lightning.cli import main
from tests.helpers.runs import tiny_run_config

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def oracle_run(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("oracle")
    config = tiny_run_config(tmp_path, **{
        "data.input_model": "same", "data.behaviors": ["instructions", "sentiment"],
        "data.capture": {"layers": [1, -1], "positions": "system+tail:4"},
        "data.behavior_options": {"instructions": {"replies": 0.5}},
        "data.eval_behaviors": ["lies"], "data.questions": {"kinds": ["yes_no", "free_text"]},
        "data.splits": {"train": 12, "val": 6, "test": 6, "eval_test": 8},
        "model.injection": {"mode": "add", "layer": 1}, "model.projector": {"kind": "auto", "standardize": True},
        "model.prompt": {"max_answer_tokens": 3}, "baselines": ["untrained", "text"]})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("META_LIGHTNING_CACHE", str(tmp_path / "cache"))
        main(["fit", "--config", str(config)])
    return tmp_path


def test_both_kinds_are_reported_with_intervals_and_lie_mentions(oracle_run):
    run = oracle_run / "runs" / "tiny" / "version_0"
    summary = json.loads((run / "summary.json").read_text())
    datasets = summary["datasets"]
    assert set(datasets) == {"instructions", "instructions:text", "sentiment", "sentiment:text", "lies", "lies:text"}
    text = datasets["instructions:text"]
    assert text["metric"] == "token_f1" and not text["held_out"]
    assert all(len(text[f"{m}_ci95"]) == 2 for m in ("exact_match", "token_f1", "rouge_l", "contains"))
    mentions = datasets["lies:text"]["mentions"]
    assert datasets["lies:text"]["held_out"] and {"lying", "truthful"} <= set(mentions)
    assert mentions["lying"]["n"] == mentions["truthful"]["n"] == 4
    config = (run / "config.yaml").read_text()
    assert "input_model: same" in config and "positions: system+tail:4" in config and "replies: 0.5" in config
    events = EventAccumulator(str(run), size_guidance={"tensors": 0}).Reload()
    scalars = set(events.Tags()["scalars"])
    assert {"val/instructions:text/token_f1", "val/sentiment:text/rouge_l", "val/instructions/acc"} <= scalars
    assert any(t.startswith("val/instructions:text/samples") for t in events.Tags()["tensors"])
    for baseline in ("untrained", "text"):  # filed beside the oracle, free-text sets by their own metric
        assert summary["baselines"][baseline]["lies:text"]["metric"] == "token_f1"
        assert "mentions" in summary["baselines"][baseline]["lies:text"]
    assert summary["baselines_pending"] == []
    logged = {t for f in run.glob("events*") for t in EventAccumulator(str(f)).Reload().Tags()["scalars"]}
    assert {"baselines/untrained/test/lies:text/token_f1", "baselines/text/test/lies/acc"} <= logged


def test_ask_answers_in_free_text_or_yes_no_by_the_question(oracle_run, capsys):
    ckpt = oracle_run / "runs" / "tiny" / "version_0" / "checkpoints" / "last.ckpt"
    conv = oracle_run / "conv.json"
    conv.write_text(json.dumps([{"role": "system", "content": "Talk like a pirate."},
                                {"role": "user", "content": "Tell me about the sea."}]))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("META_LIGHTNING_CACHE", str(oracle_run / "cache"))
        main(["ask", "--ckpt_path", str(ckpt), "--conversation", str(conv), "--question", "What was it told to do?", "--json"])
        text = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        main(["ask", "--ckpt_path", str(ckpt), "--conversation", str(conv), "--question", "Is it a pirate?", "--json"])
        yes_no = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(text) == {"question", "answer"} and isinstance(text["answer"], str)
    assert yes_no["answer"] in ("Yes", "No") and 0 <= yes_no["p_yes"] <= 1

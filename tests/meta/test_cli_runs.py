"""fit, test, validate, predict and checkpoints through the real LightningCLI on tiny models."""
import json

import pytest
import torch
import yaml
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from meta_lightning.cli import main
from tests.helpers.runs import tiny_run_config


def _version_dir(tmp_path, n=0):
    return tmp_path / "runs" / "tiny" / f"version_{n}"


@pytest.fixture
def fitted(tiny_fit):
    return tiny_fit


def test_fit_writes_checkpoint_config_events_and_a_summary_that_test_reproduces(fitted):
    tmp_path, config, out = fitted
    run = _version_dir(tmp_path)
    summary = json.loads((run / "summary.json").read_text())
    assert set(summary["datasets"]) == {"sentiment", "emotion", "lies"}
    lies = summary["datasets"]["lies"]
    assert lies["held_out"] and lies["questions"] == 12 and len(lies["accuracy_ci95"]) == 2
    assert "lies" in out and "TensorBoard logs:" in out
    # Only trained tensors are checkpointed: LoRA and projector, no base weights.
    ckpt = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)
    assert ckpt["state_dict"] and all("lora_" in k or k.startswith("net.projector.") for k in ckpt["state_dict"])
    assert ckpt["meta_lightning"]["kind"] == "activations" and ckpt["meta_lightning"]["format"] == 4
    # TensorBoard: per-dataset metrics, hp metrics, samples and the lie confusion figure.
    events = EventAccumulator(str(run), size_guidance={"images": 0, "tensors": 0}).Reload()
    scalars = set(events.Tags()["scalars"])
    assert {"val/sentiment/acc", "val/lies/auroc", "hp/lies_acc", "hp/val_acc", "train/loss"} <= scalars
    assert "val/lies/confusion" in events.Tags()["images"]
    assert any(t.startswith("val/lies/samples") for t in events.Tags()["tensors"])
    # The saved config.yaml plus the checkpoint give the same test metrics in a new process-like run.
    main(["test", "--config", str(run / "config.yaml"), "--ckpt_path", str(run / "checkpoints" / "last.ckpt"),
          "--trainer.logger.init_args.version", "reloaded"])
    again = json.loads((tmp_path / "runs" / "tiny" / "reloaded" / "summary.json").read_text())
    for name, d in summary["datasets"].items():
        assert again["datasets"][name]["accuracy"] == pytest.approx(d["accuracy"], abs=1e-6)
        assert again["datasets"][name]["auroc"] == pytest.approx(d["auroc"], abs=1e-6)


def test_reloaded_checkpoint_differs_from_an_untrained_model(fitted):
    """Guards the round-trip test: loading the checkpoint must matter."""
    tmp_path, config, _ = fitted
    main(["test", "--config", str(config), "--trainer.logger.init_args.version", "untrained"])
    trained = json.loads((_version_dir(tmp_path) / "summary.json").read_text())
    untrained = json.loads((tmp_path / "runs" / "tiny" / "untrained" / "summary.json").read_text())
    diffs = [abs(trained["datasets"][n]["auroc"] - untrained["datasets"][n]["auroc"]) for n in trained["datasets"]]
    assert max(diffs) > 1e-4


def test_configs_compose_and_print_config_shows_the_full_run(tmp_path, capsys):
    config = tiny_run_config(tmp_path)
    extra = tmp_path / "extra.yaml"
    extra.write_text("data:\n  k: 2\nmodel:\n  injection:\n    mode: add\n  optimizer:\n    warmup_steps: 3\n")
    with pytest.raises(SystemExit):
        main(["fit", "--config", str(config), "--config", str(extra), "--print_config"])
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["data"]["k"] == 2 and printed["data"]["splits"]["train"] == 12
    assert printed["model"]["injection"] == {"mode": "add", "layer": 1, "coefficient": 1.0}
    # A group given in a later file changes only its keys: the first file's optimizer lr stays.
    assert printed["model"]["optimizer"]["warmup_steps"] == 3 and printed["model"]["optimizer"]["lr"] == 0.01
    assert printed["model"]["finetune"]["method"] == "lora"


def test_predict_command_writes_every_prediction_and_warns_without_a_checkpoint(tmp_path, capsys):
    config = tiny_run_config(tmp_path)
    main(["predict", "--config", str(config), "--trainer.logger.init_args.version", "predicted"])
    captured = capsys.readouterr()
    assert "warning: predict without --ckpt_path answers with the untrained meta-model" in captured.err
    path = tmp_path / "runs" / "tiny" / "predicted" / "predictions.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(rows) == 2 * 6 + 2 * 6 + 12 and f"predict: {len(rows)} predictions written to {path}" in captured.out
    assert {r["dataset"] for r in rows} == {"sentiment", "emotion", "lies"}
    assert all(r["prediction"] == ("Yes" if r["p_yes"] >= 0.5 else "No") for r in rows)


def test_ask_answers_a_new_conversation_like_predict_does(fitted, capsys, no_amx):  # both in float32, to 1e-4
    tmp_path, config, _ = fitted
    from meta_lightning.commands.lightning import MetaCLI

    ckpt = _version_dir(tmp_path) / "checkpoints" / "last.ckpt"
    cli = MetaCLI(args=["--config", str(config)], run=False)
    cli.datamodule.setup("test")
    lies = next(d for d in cli.datamodule.datasets["test"] if d.name == "lies")
    question = lies.questions[0]
    conv = tmp_path / "conv.json"
    conv.write_text(json.dumps(lies.conversations[question.conversation].messages))
    main(["ask", "--ckpt_path", str(ckpt), "--conversation", str(conv), "--question", question.text, "--json"])
    answer = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    predictions = cli.trainer.predict(cli.model, datamodule=cli.datamodule, ckpt_path=str(ckpt))
    rows = [r for batch in predictions[[d.name for d in cli.datamodule.datasets["test"]].index("lies")] for r in batch]
    assert rows[0]["question"] == question.text
    assert answer["p_yes"] == pytest.approx(rows[0]["p_yes"], abs=1e-4)
    assert answer["answer"] == rows[0]["prediction"]


def test_ask_rejects_a_malformed_conversation_in_one_line(tmp_path, capsys):
    bad = tmp_path / "conv.json"
    bad.write_text('{"messages": [{"role": "user"}]}')
    with pytest.raises(SystemExit) as e:
        main(["ask", "--ckpt_path", str(tmp_path / "x.ckpt"), "--conversation", str(bad), "--question", "Q?"])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --conversation: ") and len(err.splitlines()) == 1


def test_a_nan_loss_stops_the_run_with_one_line_naming_step_and_datasets(tmp_path, capsys, monkeypatch):
    from meta_lightning.data.questions import QuestionDataset

    original = QuestionDataset.__getitem__

    def poisoned(self, index):  # activations gone bad (an inf from a broken input-model, say)
        item = original(self, index)
        return {**item, "activations": torch.full_like(item["activations"], float("inf"))}

    monkeypatch.setattr(QuestionDataset, "__getitem__", poisoned)
    config = tiny_run_config(tmp_path)
    with pytest.raises(SystemExit) as e:
        main(["fit", "--config", str(config)])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("error: model.optimizer.lr: the loss is ") and " at step " in err
    assert "(batch from " in err and ("sentiment" in err or "emotion" in err)


@pytest.mark.slow
def test_baselines_land_in_the_summary_table_and_tensorboard_beside_the_meta_model(tmp_path, capsys, monkeypatch):
    import meta_lightning.data.datamodule as datamodule

    loads = []
    original = datamodule.load_model
    monkeypatch.setattr(datamodule, "load_model", lambda *a, **kw: loads.append(1) or original(*a, **kw))
    config = tiny_run_config(tmp_path, baselines=["probe", "untrained", "question_only", "text"])
    main(["fit", "--config", str(config)])
    out = capsys.readouterr().out
    run = _version_dir(tmp_path)
    summary = json.loads((run / "summary.json").read_text())
    assert set(summary["baselines"]) == {"probe", "untrained", "question_only", "text"}
    assert summary["baselines_pending"] == []
    # The input-model's weights load to capture the fit splits, then the test splits; the baselines read the
    # activations in memory or cached, so they never bring the weights back.
    assert len(loads) == 2
    for name, datasets in summary["baselines"].items():
        assert set(datasets) == {"sentiment", "emotion", "lies"}, name
        for d in datasets.values():
            lo, hi = d["accuracy_ci95"]
            assert lo <= d["accuracy"] <= hi and d["questions"] > 0
    # The question-only run trained its own weights: its answers differ from the untrained meta-model's.
    assert summary["baselines"]["question_only"] != summary["baselines"]["untrained"]
    header = next(line for line in out.splitlines()[::-1] if line.startswith("dataset"))
    assert header.index("probe [95% CI]") < header.index("untrained [95% CI]") < header.index("question_only [95% CI]")
    scalars = set(EventAccumulator(str(run)).Reload().Tags()["scalars"])
    assert {"baselines/probe/test/lies/acc", "baselines/question_only/test/sentiment/acc",
            "baselines/text/test/lies/acc"} <= scalars


def test_an_unknown_baseline_is_refused_by_name_before_training(tmp_path, capsys):
    config = tiny_run_config(tmp_path, baselines=["oracle"])
    with pytest.raises(SystemExit):
        main(["fit", "--config", str(config)])
    assert "baselines: unknown baseline 'oracle'" in capsys.readouterr().err

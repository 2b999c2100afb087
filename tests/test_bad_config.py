"""Bad config files, settings, folders and checkpoints through the real CLI: one line naming the field or file,
exit code 2, before any model loads."""
import pytest
import torch
import yaml

from meta_lightning.cli import main
from tests.helpers.runs import tiny_run_config


def _error(capsys, argv) -> str:
    capsys.readouterr()
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    return lines[-1]


@pytest.mark.parametrize("text, needle", [
    ("", "error: --config: {path} is empty. Write the run's sections"),
    ("- trainer\n- data\n", "error: --config: {path} holds a list at its top level, not a mapping of sections"),
    ("data:\n  - behaviors\n", "error: data: in {path} it is a list, not a mapping of options"),
])
def test_a_config_file_of_the_wrong_shape_is_named(tmp_path, capsys, no_model_loads, text, needle):
    path = tmp_path / "run.yaml"
    path.write_text(text)
    assert _error(capsys, ["fit", "--config", str(path)]).startswith(needle.format(path=path.resolve()))


@pytest.mark.parametrize("override, needle", [
    (["--data.behaviors", "[lies]"], "error: data.behaviors: 'lies' is held out (evaluated only, never trained on)"),
    (["--data.behaviors", "[sentiment, lies]"], "error: data.behaviors: 'lies' is held out"),
    (["--data.splits.train", "100000000000"], "error: data.splits.train: 100,000,000,000 conversations per behaviour is "
                                            "more than a run builds (at most 1,000,000"),
    (["--data.loader.vectors", "noise"], "error: data.loader.vectors: "),
])
def test_settings_that_would_train_on_held_out_data_or_hang_are_refused(tmp_path, capsys, no_model_loads, override,
                                                                        needle):
    err = _error(capsys, ["fit", "--config", str(tiny_run_config(tmp_path)), *override])
    assert err.startswith(needle), err
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("verb", ["fit", "cache"])
def test_a_cache_variable_that_names_a_file_is_one_line(tmp_path, capsys, monkeypatch, no_model_loads, verb):
    config = tiny_run_config(tmp_path)
    (tmp_path / "not_a_folder").write_text("x")
    monkeypatch.setenv("META_LIGHTNING_CACHE", str(tmp_path / "not_a_folder"))
    err = _error(capsys, [verb, "--config", str(config)])
    assert err.startswith(f"error: META_LIGHTNING_CACHE: {tmp_path / 'not_a_folder'} is a file, not a folder"), err


def test_a_run_folder_that_cannot_be_written_is_one_line(tmp_path, capsys, no_model_loads):
    (tmp_path / "file").write_text("x")
    err = _error(capsys, ["fit", "--config", str(tiny_run_config(tmp_path)),
                          "--trainer.logger.init_args.save_dir", str(tmp_path / "file" / "runs")])
    assert err.startswith(f"error: trainer.logger.init_args.save_dir: cannot write to {tmp_path / 'file' / 'runs'}"), err


def test_a_weights_checkpoint_given_to_an_activation_run_names_its_side(tmp_path, capsys, no_model_loads):
    ckpt = tmp_path / "weights.ckpt"
    torch.save({"meta_lightning": {"kind": "weights", "format": 3}, "state_dict": {}, "hyper_parameters": {}}, ckpt)
    err = _error(capsys, ["test", "--config", str(tiny_run_config(tmp_path)), "--ckpt_path", str(ckpt)])
    assert err == (f"error: --ckpt_path: {ckpt} is a meta-model that reads compiled models' weights, and this run "
                   "reads an input-model's activations. Use it with a config of kind: weights"), err


def test_sweep_dry_run_checks_each_cells_layers_against_the_models(tmp_path, capsys, no_model_loads):
    base = tiny_run_config(tmp_path)
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump({"sweep": {"configs": [str(base)], "seeds": [0], "directory": str(tmp_path / "s"),
                                              "grid": {"data.capture.layers": [[1], [40]]}}}))
    err = _error(capsys, ["sweep", "--config", str(path), "--dry-run"])
    assert err.startswith("error: sweep.grid (cell ") and "data.capture.layers: " in err and "40" in err, err


def test_an_activation_checkpoint_of_the_older_format_is_refused_in_one_line(tmp_path, capsys, no_model_loads):
    ckpt = tmp_path / "old.ckpt"
    torch.save({"meta_lightning": {"format": 3}, "state_dict": {}, "hyper_parameters": {}}, ckpt)
    err = _error(capsys, ["test", "--config", str(tiny_run_config(tmp_path)), "--ckpt_path", str(ckpt)])
    assert err == (f"error: --ckpt_path: {ckpt} was written by an older meta_lightning (checkpoint format 3, this one "
                   "reads 4). Train it again with this version (`fit`)"), err


@pytest.mark.parametrize("override, needle", [
    (["--data.questions.kinds", "[yes_no, essay]"], "error: data.questions.kinds: "),
    (["--data.questions.kinds", "[free_text, free_text]"], "error: data.questions.kinds: must list each kind once"),
    (["--data.loader.mix", "{sentiment: -1}"], "error: data.loader.mix.sentiment: must be a weight of 0 or more"),
    (["--data.behavior_options", "{sentiment: {formats: [essay]}}"],
     "error: data.behavior_options.sentiment.formats: unknown question kind 'essay'"),
    (["--data.behavior_options", "{lies: {formats: [free_text]}}", "--data.eval_behaviors", "[lies]"], None),
    (["--data.behavior_options", "{instructions: {categories: [moods]}}", "--data.behaviors", "[instructions]"],
     "error: data.behavior_options.instructions.categories: unknown category 'moods'"),
    (["--data.input_model", "same", "--model.finetune.method", "full"],
     "error: data.input_model: 'same' reads the meta-model's base weights, which finetune.method full changes"),
])
def test_oracle_options_are_checked_before_any_model_loads(tmp_path, capsys, no_model_loads, override, needle):
    if needle is None:  # lies have free-text questions: nothing to refuse, so the run goes on to load a model
        with pytest.raises(AssertionError, match="a model was loaded"):
            main(["fit", "--config", str(tiny_run_config(tmp_path)), *override])
        return
    err = _error(capsys, ["fit", "--config", str(tiny_run_config(tmp_path)), *override])
    assert err.startswith(needle), err

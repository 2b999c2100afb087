"""Bad input through the real command line: one line that names the field, exit code 2, nothing trained."""
import re
from pathlib import Path

import pytest

from meta_lightning.cli import main
from tests.helpers.runs import tiny_run_config

PACKAGE = Path(__file__).resolve().parents[1] / "meta_lightning"


def _error(capsys, argv) -> str:
    """The last line of stderr (in one pytest process, Lightning's log handler may complain before it)."""
    capsys.readouterr()  # drop what the set-up printed (model folders written by the test)
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    return capsys.readouterr().err.strip().splitlines()[-1] + "\n"


def test_malformed_yaml_is_named(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("extends: base.yaml\ndata: [unclosed\n")
    err = _error(capsys, ["fit", "--config", str(bad)])
    assert err.startswith("error: --config: ") and "not valid YAML" in err


def test_unknown_key_is_named_by_lightning_cli(tmp_path, capsys):
    config = tiny_run_config(tmp_path, **{"data.behaviours": ["sentiment"]})
    err = _error(capsys, ["fit", "--config", str(config)])
    assert "behaviours" in err
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("override, needle", [
    (["--data.behaviors", "[sentimnet]"], "data.behaviors: unknown behaviour 'sentimnet'"),
    (["--data.behaviors", "[]"], "data.behaviors: the training combination is empty"),
    (["--data.capture.layers", "[40]"], "data.capture.layers"),
    (["--model.projector.kind", "identity"], "model.projector.kind: identity needs equal hidden sizes"),
    (["--data.input_model.name", "no-such-alias"], "data.input_model.name: 'no-such-alias'"),
])
def test_bad_settings_end_in_one_line_naming_the_field(tmp_path, capsys, override, needle):
    config = tiny_run_config(tmp_path)  # input llama d=64, meta qwen2: identity is refused only if sizes differ
    if override[0] == "--model.projector.kind":
        from tests.helpers.folders import save_byte_model

        save_byte_model(tmp_path / "wide_meta", "qwen2", 1, hidden_size=96)
        override = override + ["--model.meta_model.name", str(tmp_path / "wide_meta")]
    err = _error(capsys, ["fit", "--config", str(config), *override])
    assert err.startswith("error: ") and needle in err, err


def test_no_pickle_loading_anywhere_in_the_package():
    """Caches and checkpoints are read with safetensors/JSON, and any torch.load with weights_only=True."""
    for path in PACKAGE.rglob("*.py"):
        for call in re.findall(r"torch\.load\([^)]*\)", path.read_text()):
            assert "weights_only=True" in call, f"{path}: {call}"
        assert "import pickle" not in path.read_text(), path


def _facts_file(tmp_path, kind: str) -> str:
    path = tmp_path / {"empty": "facts.json", "binary": "facts.json", "columns": "facts.csv", "missing": "nope.json"}[kind]
    if kind == "binary":
        path.write_bytes(bytes(range(256)))
    elif kind == "columns":
        path.write_text("question,reply\nWhat is 2+2?,4\n")
    elif kind == "empty":
        path.write_text("")
    return str(path)


@pytest.mark.parametrize("override, needle", [
    (["--data.splits.val", "-3"], "data.splits.val: must be at least 0, got -3"),
    (["--data.splits.test", "-1"], "data.splits.test: must be at least 0, got -1"),
    (["--data.k", "-1"], "data.k: must be at least 1, got -1"),
    (["--model.optimizer.lr", "-1"], "model.optimizer.lr: -1.0 is out of range. Use a positive learning rate"),
    (["--data.splits.eval_test_split", "foo"],
     "data.splits.eval_test_split: Expected a typing.Literal['train', 'val', 'test', 'all']"),
    (["--data.capture.positions", "middle"], "data.capture.positions: "),
    (["--data.capture.layers", "[40]"], "data.capture.layers: layer 40 is out of range for a model with 4 layers"),
    (["--model.injection.mode", "add", "--model.injection.layer", "99"],
     "model.injection.layer: 99 is out of range for a meta-model with"),
    (["--data.behavior_options", "{lies: {dataset: FACTS_missing}}"], "data.behavior_options.lies.dataset: no such file"),
    (["--data.behavior_options", "{lies: {dataset: FACTS_empty}}"], "data.behavior_options.lies.dataset: "),
    (["--data.behavior_options", "{lies: {dataset: FACTS_binary}}"], "data.behavior_options.lies.dataset: cannot read"),
    (["--data.behavior_options", "{lies: {dataset: FACTS_columns}}"], "data.behavior_options.lies.dataset: "),
])
def test_bad_input_is_named_before_any_model_loads(tmp_path, capsys, no_model_loads, override, needle):
    override = [re.sub(r"FACTS_(\w+)", lambda m: _facts_file(tmp_path, m.group(1)), a) for a in override]
    config = tiny_run_config(tmp_path)
    err = _error(capsys, ["fit", "--config", str(config), *override])
    assert err.startswith("error: " + needle), err
    assert not (tmp_path / "runs").exists()  # no empty version_N folder left behind


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="this machine has a GPU")
def test_cuda_on_a_machine_without_one_is_named(tmp_path, capsys, no_model_loads):
    err = _error(capsys, ["fit", "--config", str(tiny_run_config(tmp_path)), "--data.device", "cuda"])
    assert err.startswith("error: data.device: cuda was asked for, but this machine has no CUDA GPU. Use auto or cpu")


def test_facts_in_a_csv_read_like_the_json(tmp_path):
    from meta_lightning.behaviors.loaders import ai_liar

    (tmp_path / "facts.csv").write_text("question,answer,statement,false_statement\nSky colour?,Blue,It is blue,It is green\n")
    (tmp_path / "facts.json").write_text('{"question": {"0": "Sky colour?"}, "answer": {"0": "Blue"}, '
                                         '"statement": {"0": "It is blue"}, "false_statement": {"0": "It is green"}}')
    assert ai_liar(str(tmp_path / "facts.csv")) == ai_liar(str(tmp_path / "facts.json"))


def _last_ckpt(folder):
    return folder / "runs" / "tiny" / "version_0" / "checkpoints" / "last.ckpt"


@pytest.mark.parametrize("verb", ["test", "ask"])
@pytest.mark.parametrize("kind", ["missing", "random bytes", "truncated"])
def test_a_bad_checkpoint_is_named_before_any_model_loads(tiny_fit, tmp_path, capsys, no_model_loads, verb, kind):
    folder, config, _ = tiny_fit
    path = tmp_path / "model.ckpt"
    if kind == "random bytes":
        path.write_bytes(bytes(range(256)) * 16)
    elif kind == "truncated":
        real = _last_ckpt(folder).read_bytes()
        path.write_bytes(real[: len(real) // 2])
    conversation = tmp_path / "conv.json"
    conversation.write_text('[{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]')
    runs_before = sorted((folder / "runs" / "tiny").iterdir())
    argv = (["test", "--config", str(config), "--ckpt_path", str(path)] if verb == "test" else
            ["ask", "--ckpt_path", str(path), "--conversation", str(conversation), "--question", "Is it lying?"])
    err = _error(capsys, argv)
    expected = "no such file" if kind == "missing" else "not a checkpoint, or truncated"
    assert err.startswith("error: --ckpt_path: ") and expected in err, err
    assert sorted((folder / "runs" / "tiny").iterdir()) == runs_before  # no empty version_N left behind


@pytest.mark.parametrize("layers, needle", [
    ("[1, 2, 3, 4]", "data.capture.layers: the checkpoint was trained on layers [1, 4], this run reads [1, 2, 3, 4]"),
    ("[2, 3]", "data.capture.layers: the checkpoint was trained on layers [1, 4], this run reads [2, 3]"),
])
def test_a_checkpoint_used_with_other_layers_is_refused_before_any_model_loads(tiny_fit, capsys, no_model_loads,
                                                                                layers, needle):
    folder, config, _ = tiny_fit
    err = _error(capsys, ["test", "--config", str(config), "--ckpt_path", str(_last_ckpt(folder)),
                          "--data.capture.layers", layers])
    assert err.startswith("error: " + needle), err


def test_ctrl_c_during_cache_says_how_to_resume_in_one_line_and_exits_130(tmp_path, capsys, monkeypatch):
    from meta_lightning.capture.capture import ActivationCapturer

    def interrupted(self, examples):
        raise KeyboardInterrupt

    monkeypatch.setattr(ActivationCapturer, "capture", interrupted)
    config = tiny_run_config(tmp_path)
    capsys.readouterr()
    with pytest.raises(SystemExit) as e:
        main(["cache", "--config", str(config)])
    assert e.value.code == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("interrupted: ") and "run the same command again to resume" in err[-1]
    assert not any("Traceback" in line for line in err), "\n".join(err)


@pytest.mark.parametrize("seeds, needle", [(0, "sweep.seeds: Expected a <class 'list'>. Got value: 0"),
                                           ([], "sweep.seeds: no seeds given")])
def test_bad_sweep_seeds_give_the_reason(tmp_path, capsys, seeds, needle):
    import yaml

    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump({"sweep": {"configs": [str(tiny_run_config(tmp_path))], "seeds": seeds}}))
    err = _error(capsys, ["sweep", "--config", str(path), "--dry-run"])
    assert err.startswith("error: " + needle), err


@pytest.mark.parametrize("override, line", [
    (["--model.injection.mode", "bogus"], "model.injection.mode: Expected a typing.Literal['replace', 'add']. Got value: bogus"),
    (["--data.k", "abc"], "data.k: Expected a <class 'int'>. Got value: abc"),
    (["--data.loader.sampling", "random"], "data.loader.sampling: Expected a typing.Literal['uniform', 'proportional']"),
])
def test_values_of_the_wrong_type_or_choice_are_one_line_naming_the_field(tmp_path, capsys, override, line):
    out = capsys.readouterr
    config = tiny_run_config(tmp_path)
    out()
    with pytest.raises(SystemExit) as e:
        main(["fit", "--config", str(config), *override])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [err[-1]] and err[-1].startswith("error: " + line), err  # one line, no usage block
    assert err[-1].endswith("See `python -m meta_lightning fit --help`")

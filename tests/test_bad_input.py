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
    (["--data.capture.positions", "middle"], "positions"),
    (["--model.projector", "identity"], "model.projector: identity needs equal hidden sizes"),
    (["--data.input_model.name", "no-such-alias"], "data.input_model.name: 'no-such-alias'"),
])
def test_bad_settings_end_in_one_line_naming_the_field(tmp_path, capsys, override, needle):
    config = tiny_run_config(tmp_path)  # input llama d=64, meta qwen2: identity is refused only if sizes differ
    if override[0] == "--model.projector":
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

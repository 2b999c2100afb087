"""Bad input that reaches a trained run or a Trainer: a checkpoint with other options, questions and
conversations that `ask` cannot answer, an empty training budget, and Ctrl-C inside a Trainer."""
import json

import pytest

from meta_lightning.cli import main
from tests.helpers.runs import tiny_run_config

pytestmark = pytest.mark.slow


def _last_ckpt(folder):
    return folder / "runs" / "tiny" / "version_0" / "checkpoints" / "last.ckpt"


def _error(capsys, argv) -> str:
    capsys.readouterr()
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    return capsys.readouterr().err.strip().splitlines()[-1]


@pytest.mark.parametrize("override, needle", [
    (["--model.projector.kind", "mlp"], "error: model.projector.kind: the checkpoint was trained with 'auto', this "
                                        "run asks for 'mlp'. Drop the option"),
    (["--model.meta_model.name", "OTHER"], "error: model.meta_model.name: the checkpoint was trained with "),
])
def test_model_options_other_than_the_checkpoints_are_refused(tiny_fit, capsys, no_model_loads, override, needle):
    folder, config, _ = tiny_fit
    err = _error(capsys, ["test", "--config", str(config), "--ckpt_path", str(_last_ckpt(folder)), *override])
    assert err.startswith(needle), err


def _conversation(tmp_path, messages) -> str:
    path = tmp_path / "conversation.json"
    path.write_text(json.dumps(messages))
    return str(path)


@pytest.mark.parametrize("question", ["", "   "])
def test_ask_refuses_an_empty_question(tiny_fit, tmp_path, capsys, no_model_loads, question):
    folder, _, _ = tiny_fit
    conversation = _conversation(tmp_path, [{"role": "user", "content": "Hi"}])
    err = _error(capsys, ["ask", "--ckpt_path", str(_last_ckpt(folder)), "--conversation", conversation,
                          "--question", question])
    assert err.startswith("error: --question: is empty. Ask a question"), err


def test_ask_refuses_an_unknown_role_and_a_conversation_longer_than_the_context(tiny_fit, tmp_path, capsys):
    folder, _, _ = tiny_fit
    ckpt = str(_last_ckpt(folder))
    wizard = _conversation(tmp_path, [{"role": "wizard", "content": "Hi"}])
    err = _error(capsys, ["ask", "--ckpt_path", ckpt, "--conversation", wizard, "--question", "Is it happy?"])
    assert err.startswith("error: --conversation: message 0 of ") and "has role 'wizard'. Use one of: system, user, " \
        "assistant" in err, err
    long = _conversation(tmp_path, [{"role": "user", "content": "word " * 20000}])
    err = _error(capsys, ["ask", "--ckpt_path", ckpt, "--conversation", long, "--question", "Is it happy?"])
    assert err.startswith("error: --conversation: the conversation is ") and "tokens, and the input-model reads at " \
        "most" in err and err.endswith("Shorten the conversation to its last turns"), err


def test_an_empty_training_budget_warns_that_the_test_reports_an_untrained_model(tmp_path, capsys):
    main(["fit", "--config", str(tiny_run_config(tmp_path)), "--trainer.max_steps", "0"])
    assert "warning: --trainer.max_steps 0 trains nothing: the test reports the untrained model" in capsys.readouterr().err


def test_ctrl_c_inside_fit_exits_130_with_how_to_resume(tmp_path, capsys, monkeypatch):
    from meta_lightning.meta import MetaModel

    def interrupted(self, batch, batch_idx):
        raise KeyboardInterrupt

    monkeypatch.setattr(MetaModel, "training_step", interrupted)
    capsys.readouterr()
    with pytest.raises(SystemExit) as e:
        main(["fit", "--config", str(tiny_run_config(tmp_path))])
    assert e.value.code == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("interrupted: ") and "--ckpt_path RUN_FOLDER/checkpoints/last.ckpt" in err[-1]


def test_a_test_stopped_by_ctrl_c_leaves_no_new_run_folder(tiny_fit, tmp_path, capsys, monkeypatch):
    from meta_lightning.meta import MetaModel

    folder, config, _ = tiny_fit
    before = sorted(p.name for p in (folder / "runs" / "tiny").iterdir())

    def interrupted(self, batch, batch_idx, dataloader_idx=0):
        raise KeyboardInterrupt

    monkeypatch.setattr(MetaModel, "test_step", interrupted)
    with pytest.raises(SystemExit) as e:
        main(["test", "--config", str(config), "--ckpt_path", str(_last_ckpt(folder))])
    assert e.value.code == 130
    assert sorted(p.name for p in (folder / "runs" / "tiny").iterdir()) == before

import subprocess
import sys

import pytest

from meta_lightning.cli import main


def run(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "meta_lightning", *args], capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow  # a new Python process
def test_help_lists_lightning_subcommands_and_our_verbs():
    from meta_lightning.commands import VERBS

    out = run("--help")
    assert out.returncode == 0, out.stderr
    assert "{fit,validate,test,predict}" in out.stdout  # LightningCLI's subcommands, exactly
    text = " ".join(out.stdout.split())
    for verb in VERBS:  # each of our verbs, with its usage, from the verb table
        assert f"`{verb}" in text, verb
    assert "Run `python -m meta_lightning COMMAND --help` for options." in text


@pytest.mark.slow  # a new Python process: 4 s on 2 cores
def test_download_error_is_one_line_with_exit_code_2(tmp_path):
    out = run("download", str(tmp_path / "missing.gguf"))
    assert out.returncode == 2
    missing = tmp_path / "missing.gguf"
    assert out.stderr.strip().splitlines() == [f"error: model.name: GGUF file {missing} does not exist. Check the path"]


def test_download_reports_folder_and_fingerprint(tmp_path, capsys):
    from tests.helpers.folders import save_tiny

    folder = save_tiny(tmp_path / "tiny")
    main(["download", str(folder)])
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith(f"{folder}: LlamaForCausalLM (4 layers, d=64) ready in {folder}")


def test_main_turns_user_errors_into_exit_2(capsys):
    with pytest.raises(SystemExit) as e:
        main(["download", "./no/such/folder"])
    assert e.value.code == 2
    assert capsys.readouterr().err == "error: model.name: path ./no/such/folder does not exist. Check the path\n"


def test_help_explains_config_fields_from_their_docstrings(capsys):
    with pytest.raises(SystemExit):
        main(["fit", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    # Choices are typed, so --help lists them.
    for choices in ("--model.injection.mode {replace,add}", "--model.finetune.method {lora,attention,full,projector}",
                    "--data.loader.sampling {uniform,proportional}", "--model.prompt.answer_format {yes_no,name_then_answer}"):
        assert choices in out, choices
    assert "Run the model repository's own Python code. Off unless you trust the repository." in out
    with pytest.raises(SystemExit):
        main(["sweep", "--help"])
    assert "Each cell runs once per seed." in " ".join(capsys.readouterr().out.split())


def test_a_run_shows_epochs_without_a_total_through_the_public_progress_bar(tmp_path):
    """Lightning's rich bar prints "Epoch 0/-2" for a step-bounded run; ours is the plain TQDM bar, added
    through LightningCLI's public instantiate_trainer, and none is added when the bar is switched off."""
    from lightning.pytorch.callbacks import ProgressBar, TQDMProgressBar

    from meta_lightning.commands.lightning import MetaCLI
    from tests.helpers.runs import tiny_run_config

    config = str(tiny_run_config(tmp_path))
    shown = MetaCLI(args=["--config", config, "--trainer.enable_progress_bar", "true"], run=False).trainer
    assert type(shown.progress_bar_callback) is TQDMProgressBar
    hidden = MetaCLI(args=["--config", config], run=False).trainer  # the tiny config switches it off
    assert hidden.progress_bar_callback is None and not any(isinstance(c, ProgressBar) for c in hidden.callbacks)

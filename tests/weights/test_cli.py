import json

import pytest

from meta_lightning.commands import config_kind
from meta_lightning.summary import summary_state
from meta_lightning.weights import tracr_available
from tests.helpers.runs import EXPERIMENTS

pytestmark = pytest.mark.slow  # over 5 s a test on 2 cores: a real model, a Trainer run or a sweep

needs_tracr = pytest.mark.skipif(not tracr_available(), reason='needs the weights extra: pip install -e ".[weights]"')


def test_the_kind_comes_from_the_config_chain_or_the_flag(tmp_path):
    base = tmp_path / "base.yaml"
    base.write_text("kind: weights\ndata:\n  batch_size: 4\n")
    child = tmp_path / "child.yaml"
    child.write_text("extends: base.yaml\nmodel:\n  layers: 1\n")
    assert config_kind(["fit", "--config", str(child)]) == "weights"
    assert config_kind(["fit", "--config", str(EXPERIMENTS / "multilingual.yaml")]) == "activations"
    assert config_kind(["fit", "--config", str(EXPERIMENTS / "weights" / "tracr_small.yaml")]) == "weights"
    assert config_kind(["fit", "--kind", "weights"]) == "weights"


def _tiny(tmp_path) -> list[str]:
    return ["--config", str(EXPERIMENTS / "weights" / "tracr_small.yaml"),
            "--data.generation.programs", "24", "--data.generation.shard_size", "12", "--data.generation.max_ops", "3",
            "--data.workers", "1", "--data.cache_dir", str(tmp_path / "cache"), "--trainer.max_steps", "4",
            "--trainer.val_check_interval", "2", "--trainer.enable_progress_bar", "false",
            "--trainer.logger.init_args.save_dir", str(tmp_path / "runs"), "--model.d_model", "32", "--model.layers", "1",
            "--model.heads", "2"]


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    from meta_lightning.cli import main

    tmp_path = tmp_path_factory.mktemp("weights_fit")
    main(["fit", *_tiny(tmp_path)])
    return tmp_path / "runs" / "weights" / "version_0"


@needs_tracr
def test_fit_trains_tests_and_runs_the_random_weights_baseline(fitted):
    run = fitted
    summary = json.loads((run / "summary.json").read_text())
    assert summary["inputs"] == "real" and summary["metric"] == "exact_match" and summary["baselines_pending"] == []
    assert summary["machine"]["precision"] == "32-true" and "cores" in summary["machine"]["device"]
    assert summary_state(run / "summary.json") == "complete" and not list(run.glob("summary_*.json"))
    for datasets in (summary["datasets"], summary["baselines"]["random"]):
        assert set(datasets) == {"test", "hand_written", "library"}
        hand = datasets["hand_written"]
        assert hand["programs"] == 4 and set(hand["programs_exact"]) == {"length", "reverse", "sort", "histogram"}
        lo, hi = hand["exact_match_ci95"]
        assert lo <= hand["exact_match"] <= hi and 0 <= hand["token_accuracy"] <= 1
        assert set(hand["by_length"]) == {"1", "2", "4"}
        # Tracr's library: a row per program read, the 3 the canvas cannot hold named with the reason
        library = datasets["library"]
        assert library["programs"] == 10 and set(library["not_read"]) == {
            "make_shuffle_dyck", "make_shuffle_dyck2", "make_nary_sequencemap"}
        assert "too large to read" in library["not_read"]["make_shuffle_dyck"]
        row = library["per_program"]["make_sort"]
        assert set(row) >= {"exact", "guess", "token_accuracy"} and 0 <= row["token_accuracy"] <= 1
    assert (run / "config.yaml").is_file() and "kind: weights" in (run / "config.yaml").read_text()
    assert (run / "checkpoints" / "last.ckpt").is_file()  # what the README's decompile line and sweeps' resume use


@needs_tracr
def test_decompile_writes_a_program_for_a_params_file_and_for_a_program_file(fitted, tmp_path, capsys):
    from meta_lightning.cli import main
    from meta_lightning.weights.compile import compile_program
    from meta_lightning.weights.files import save_params
    from meta_lightning.weights.module import WeightsMetaModel
    from meta_lightning.weights.programs import HELD_OUT, describe
    from meta_lightning.weights.tokens import readable

    ckpt = fitted / "checkpoints" / "last.ckpt"
    model = WeightsMetaModel.from_checkpoint(str(ckpt))
    expected, checked = {}, {}
    for name in ("histogram", "reverse"):  # the model's own guesses, through the API
        ids, same = model.decompile(compile_program(HELD_OUT[name]).params)
        expected[name] = readable(ids)[0]
        checked[name] = "\n# compiles to the given weights: " + ("yes" if same else "no (the most likely program of the beam)")
        assert same or expected[name] != describe(HELD_OUT[name])  # an exact guess compiles back to the weights
    save_params(compile_program(HELD_OUT["histogram"]).params, tmp_path / "histogram.npz")
    main(["decompile", "--ckpt_path", str(ckpt), "--params", str(tmp_path / "histogram.npz")])
    assert capsys.readouterr().out == expected["histogram"] + "\n" + checked["histogram"] + "\n"
    (tmp_path / "reverse.rasp").write_text(describe(HELD_OUT["reverse"]))
    main(["decompile", "--ckpt_path", str(ckpt), "--program", str(tmp_path / "reverse.rasp")])
    exact = expected["reverse"] == describe(HELD_OUT["reverse"])
    assert capsys.readouterr().out == (f"{expected['reverse']}\n{checked['reverse']}\n\n# the program compiled:\n"
                                       f"{describe(HELD_OUT['reverse'])}\n# exact: {exact}\n")


@needs_tracr
def test_predict_decompiles_params_and_program_files_into_predictions_jsonl(fitted, tmp_path, capsys):
    from meta_lightning.cli import main
    from meta_lightning.weights.compile import compile_program
    from meta_lightning.weights.files import save_params
    from meta_lightning.weights.programs import HELD_OUT, describe

    ckpt = str(next((fitted / "checkpoints").glob("*.ckpt")))
    save_params(compile_program(HELD_OUT["histogram"]).params, tmp_path / "histogram.npz")
    (tmp_path / "reverse.rasp").write_text(describe(HELD_OUT["reverse"]))
    main(["predict", *_tiny(tmp_path), "--ckpt_path", ckpt,
          "--data.predict_files", f"[{tmp_path / 'histogram.npz'}, {tmp_path / 'reverse.rasp'}]"])
    assert "predict: 2 predictions written to" in capsys.readouterr().out
    rows = [json.loads(line) for line in next((tmp_path / "runs").rglob("predictions.jsonl")).read_text().splitlines()]
    assert [r["file"] for r in rows] == [str(tmp_path / "histogram.npz"), str(tmp_path / "reverse.rasp")]
    assert rows[0]["exact"] is None and "truth" not in rows[0]  # a params file: the program is not known
    assert rows[1]["truth"] == describe(HELD_OUT["reverse"]) and rows[1]["exact"] == (rows[1]["program"] == rows[1]["truth"])
    from meta_lightning.weights.module import WeightsMetaModel
    from meta_lightning.weights.tokens import readable

    model = WeightsMetaModel.from_checkpoint(ckpt)
    for row, name in zip(rows, ("histogram", "reverse")):  # each row is the model's own guess for that file
        ids, same = model.decompile(compile_program(HELD_OUT[name]).params)
        assert (row["program"], row["well_formed"], row["same_weights"]) == (*readable(ids), same)
    # decoding options apply to a trained model: greedy, unchecked, gives the model's most likely program
    main(["predict", *_tiny(tmp_path), "--ckpt_path", ckpt, "--data.predict_files", f"[{tmp_path / 'reverse.rasp'}]",
          "--model.beam_width", "1", "--model.verify", "false"])
    newest = max((tmp_path / "runs").rglob("predictions.jsonl"), key=lambda f: f.stat().st_mtime)
    row = json.loads(newest.read_text().splitlines()[0])
    greedy = [int(t) for t in model.net.greedy(model.net.batch_of(compile_program(HELD_OUT["reverse"]).params))[0] if t]
    assert row["same_weights"] is None and row["program"] == readable(greedy)[0]
    with pytest.raises(SystemExit):  # a training option still must be the checkpoint's
        main(["predict", *_tiny(tmp_path), "--ckpt_path", ckpt, "--model.d_model", "48"])
    assert "model.d_model: the checkpoint was trained with" in capsys.readouterr().err
    # another encoding than the checkpoint's is named, not a shape error from deep in torch
    with pytest.raises(SystemExit) as e:
        main(["predict", *_tiny(tmp_path), "--ckpt_path", ckpt, "--data.encoding.kind", "chunks"])
    assert e.value.code == 2 and capsys.readouterr().err.startswith("error: data.encoding: the checkpoint read")


@pytest.mark.parametrize("args, needle", [
    (["--ckpt_path", "missing.ckpt", "--params", "x.npz"], "error: --params: no such file: x.npz"),
    (["--ckpt_path", "missing.ckpt", "--program", "none.rasp"], "error: --program: no such file: none.rasp"),
])
def test_decompile_refuses_bad_files_in_one_line(args, needle, capsys):
    from meta_lightning.cli import main

    with pytest.raises(SystemExit) as e:
        main(["decompile", *args])
    assert e.value.code == 2 and capsys.readouterr().err.strip().startswith(needle)


def test_decompile_names_a_missing_or_foreign_checkpoint(tmp_path, capsys):
    from meta_lightning.cli import main
    from meta_lightning.weights.files import save_params
    from meta_lightning.weights.layout import Dims
    from tests.helpers.params import random_params

    save_params(random_params(Dims(1, 5, 2, 3)), tmp_path / "m.npz")
    (tmp_path / "foreign.ckpt").write_bytes(b"not a checkpoint")
    for ckpt, needle in ((tmp_path / "none.ckpt", "no such file"), (tmp_path / "foreign.ckpt", "not a checkpoint")):
        with pytest.raises(SystemExit):
            main(["decompile", "--ckpt_path", str(ckpt), "--params", str(tmp_path / "m.npz")])
        err = capsys.readouterr().err.strip()
        assert err.startswith("error: --ckpt_path: ") and needle in err and len(err.splitlines()) == 1


def test_an_unknown_kind_is_one_line_naming_the_field(capsys):
    from meta_lightning.cli import main

    with pytest.raises(SystemExit) as e:
        main(["fit", "--config", str(EXPERIMENTS / "multilingual.yaml"), "--kind", "bogus", "--print_config"])
    assert e.value.code == 2 and capsys.readouterr().err.startswith("error: kind: Expected a typing.Literal['activations']")


@needs_tracr
def test_decoding_options_are_chosen_on_validation_with_test_split_val(fitted, tmp_path, capsys):
    from meta_lightning.cli import main

    ckpt = str(fitted / "checkpoints" / "last.ckpt")
    main(["test", *_tiny(tmp_path), "--ckpt_path", ckpt, "--data.test_split", "val", "--model.beam_width", "2",
          "--model.repair_rounds", "1", "--model.repair_width", "2"])
    summary = json.loads(max((tmp_path / "runs").rglob("summary.json"), key=lambda f: f.stat().st_mtime).read_text())
    assert set(summary["datasets"]) == {"val"}  # no test set is decoded: neither sampled, hand-written nor library
    val = summary["datasets"]["val"]
    assert val["programs"] > 0 and "same_weights" in val and "exact_match_model_alone" in val
    with pytest.raises(SystemExit) as e:
        main(["test", *_tiny(tmp_path), "--ckpt_path", ckpt, "--data.test_split", "train"])
    assert e.value.code == 2 and "data.test_split" in capsys.readouterr().err.splitlines()[-1]

"""The sweep command on tiny models: a 15-cell grid with one shared cache, kill and resume, report, slurm path."""
import csv
import json

import pytest
import yaml

from meta_lightning.capture.capture import ActivationCapturer
from meta_lightning.cli import main, run_cli
from meta_lightning.errors import ConfigError
from meta_lightning.sweep import expand, load_sweep
from meta_lightning.sweep.report import write_report
from meta_lightning.sweep.run import status
from tests.helpers.runs import SIZES, tiny_sweep_file

FOUR = ["sentiment", "emotion", "language", "multilingual"]


@pytest.fixture
def count_captures(monkeypatch):
    """(behaviour-free) count of conversations the input-model reads, over every capture in this process."""
    seen = {"examples": 0, "forwards": 0}
    original = ActivationCapturer.capture

    def counting(self, examples):
        before = self.stats.forwards
        result = original(self, examples)
        seen["examples"] += len(examples)
        seen["forwards"] += self.stats.forwards - before
        return result

    monkeypatch.setattr(ActivationCapturer, "capture", counting)
    return seen


@pytest.mark.slow
def test_fifteen_cell_grid_reads_each_dataset_once_and_reports(tmp_path, count_captures, capsys):
    path = tiny_sweep_file(tmp_path, FOUR)
    main(["sweep", "--config", str(path)])
    settings, _ = load_sweep(path)
    cells = expand(settings)
    assert len(cells) == 16 and all(status(tmp_path / "sweep", c) == "done" for c in cells)
    # The input-model read each (dataset, split) once for the whole grid: 4 train, 5 val and 5 test sets.
    assert count_captures["examples"] == 4 * SIZES["train"] + 5 * SIZES["val"] + 5 * SIZES["test"]
    assert count_captures["forwards"] > 0
    # Each cell is an ordinary run: its saved config.yaml, TensorBoard events named after the cell, a summary.
    run = tmp_path / "sweep" / "cells" / "emotion+multilingual__seed0"
    assert yaml.safe_load((run / "config.yaml").read_text())["data"]["behaviors"] == ["emotion", "multilingual"]
    assert list(run.glob("events.out.tfevents.*"))
    # The report: one row per cell, lie accuracy equal to the cells' own summaries.
    paths = write_report(tmp_path / "sweep")
    rows = list(csv.DictReader(paths["csv"].open()))
    assert [r["cell"] for r in rows][:3] == ["untrained", "sentiment", "emotion"] and len(rows) == 16
    summary = json.loads((run / "summary.json").read_text())
    row = next(r for r in rows if r["cell"] == "emotion+multilingual")
    assert float(row["lies_acc_mean"]) == pytest.approx(summary["datasets"]["lies"]["accuracy"], abs=1e-4)
    assert float(row["emotion_val_acc"]) == pytest.approx(summary["validation"]["emotion"], abs=1e-4)
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "| emotion+multilingual | 1 |" in paths["md"].read_text()


class Killed(BaseException):
    """What a killed process looks like from inside: nothing after it runs, no handler catches it."""


@pytest.mark.slow
def test_killed_sweep_resumes_without_rerunning_finished_cells(tmp_path, monkeypatch):
    import meta_lightning.commands as commands
    from meta_lightning.meta import MetaModel

    path = tiny_sweep_file(tmp_path, ["sentiment", "emotion"])
    cells_dir = tmp_path / "sweep" / "cells"
    fits, real_run_cli, real_step = [], commands.run_cli, MetaModel.training_step

    def step(self, batch, batch_idx):
        if len(fits) == 3:  # the third fit is killed in its first training step
            raise Killed
        return real_step(self, batch, batch_idx)

    def counting(args):
        fits.extend([args] if args[0] == "fit" else [])
        return real_run_cli(args)

    monkeypatch.setattr(MetaModel, "training_step", step)
    monkeypatch.setattr(commands, "run_cli", counting)
    with pytest.raises(Killed):
        main(["sweep", "--config", str(path)])
    finished = {p.parent.name: p.stat().st_mtime_ns for p in cells_dir.glob("*/summary.json")}
    assert len(finished) == 3 and len(fits) == 3  # the untrained baseline cell (a test) and two fits
    # A partial sweep already reports, and counts what is missing.
    rows = list(csv.DictReader(write_report(tmp_path / "sweep")["csv"].open()))
    assert sum(int(r["seeds"]) for r in rows) == 3 and sum(int(r["pending"]) for r in rows) == 1
    monkeypatch.setattr(MetaModel, "training_step", real_step)
    fits.clear()
    main(["sweep", "--config", str(path)])
    after = {p.parent.name: p.stat().st_mtime_ns for p in cells_dir.glob("*/summary.json")}
    assert len(after) == 4 and len(fits) == 1  # 3 subsets + the baseline; only the unfinished fit ran
    assert all(after[name] == mtime for name, mtime in finished.items()), "finished cells must not run again"


def test_dry_run_lists_cells_and_runs_nothing(tmp_path, capsys):
    path = tiny_sweep_file(tmp_path, ["sentiment", "emotion"])
    main(["sweep", "--config", str(path), "--dry-run"])
    out = capsys.readouterr().out
    assert "sentiment+emotion__seed0" in out and "untrained__seed0" in out and "4 cells, 0 done, 4 to run" in out
    assert not (tmp_path / "sweep").exists()


def test_cells_runs_only_the_named_cells_and_names_an_unknown_one(tmp_path, capsys):
    path = tiny_sweep_file(tmp_path, ["sentiment", "emotion"])
    main(["sweep", "--config", str(path), "--dry-run", "--cells", "emotion", "untrained__seed0"])
    assert "4 cells, 0 done, 2 to run" in capsys.readouterr().out
    with pytest.raises(SystemExit) as e:
        main(["sweep", "--config", str(path), "--dry-run", "--cells", "sarcasm"])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("error: --cells: no cell is called 'sarcasm'. Use any of: untrained__seed0, "), err


@pytest.mark.slow
def test_a_failing_cell_is_reported_and_the_others_run(tmp_path, capsys):
    # -1 parses as a float, so only the run itself refuses it.
    path = tiny_sweep_file(tmp_path, ["sentiment"], grid={"model.optimizer.lr": [0.01, -1]}, baseline=False)
    with pytest.raises(SystemExit):
        main(["sweep", "--config", str(path)])
    cells = tmp_path / "sweep" / "cells"
    assert (cells / "lr=0.01__seed0" / "summary.json").is_file()
    assert json.loads((cells / "lr=-1__seed0" / "failed.json").read_text())["returncode"] != 0
    assert "failed: lr=-1__seed0" in capsys.readouterr().err


@pytest.mark.parametrize("grid, needle", [
    ({"model.optimizer.lr": [0.01, "not-a-number"]}, "sweep.grid (cell lr=not-a-number__seed0): model.optimizer.lr"),
    ({"model.learning_rate": [0.01]}, "learning_rate"),
])
@pytest.mark.parametrize("dry_run", [True, False])
def test_a_grid_value_or_key_that_cannot_parse_stops_the_sweep_before_any_cell(tmp_path, capsys, grid, needle, dry_run):
    path = tiny_sweep_file(tmp_path, ["sentiment"], grid=grid, baseline=False)
    with pytest.raises(SystemExit) as e:
        main(["sweep", "--config", str(path)] + (["--dry-run"] if dry_run else []))
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("error: sweep.grid (cell ") and needle in err, err
    assert not (tmp_path / "sweep").exists()


@pytest.mark.slow
def test_slurm_executor_runs_cells_through_submitit(tmp_path):
    from meta_lightning.sweep.slurm import run_slurm

    path = tiny_sweep_file(tmp_path, ["sentiment"], baseline=False)
    settings, _ = load_sweep(path)
    cells = expand(settings)
    jobs = run_slurm(settings, tmp_path / "sweep", cells, run_cli, cluster="debug", wait=True)
    assert len(jobs) == 1 and jobs[0].result() == "done"
    assert (tmp_path / "sweep" / "cells" / "sentiment__seed0" / "summary.json").is_file()


def test_a_cell_killed_during_its_baselines_or_with_an_unreadable_summary_is_not_done(tmp_path):
    from meta_lightning.summary import PENDING
    from meta_lightning.sweep.run import cell_dir

    path = tiny_sweep_file(tmp_path, ["sentiment"], baseline=False)
    settings, _ = load_sweep(path)
    cell = expand(settings)[0]
    d = cell_dir(tmp_path / "sweep", cell)
    d.mkdir(parents=True)
    summary = {"datasets": {"lies": {"accuracy": 0.5, "held_out": True}}, "baselines": {}}
    (d / "summary.json").write_text(json.dumps({**summary, PENDING: ["question_only"]}))
    assert status(tmp_path / "sweep", cell) == "pending"
    (d / "summary.json").write_text("{trunc")
    assert status(tmp_path / "sweep", cell) == "failed"
    (d / "summary.json").write_text(json.dumps({**summary, PENDING: []}))
    assert status(tmp_path / "sweep", cell) == "done"


def test_report_names_cells_whose_summary_cannot_be_read(tmp_path):
    from meta_lightning.sweep.report import collect, to_markdown, write_report

    cell = tmp_path / "cells" / "sentiment__seed0"
    cell.mkdir(parents=True)
    (cell / "cell.json").write_text(json.dumps({"name": "sentiment__seed0", "group": "sentiment", "seed": 0}))
    (cell / "summary.json").write_text("{trunc")
    groups = collect(tmp_path)
    assert groups[0].pending == 1 and groups[0].unreadable == [str(cell / "summary.json")] and groups[0].seeds == []
    assert "0 (+1 pending) (1 unreadable summary: rerun)" in to_markdown(groups)
    with pytest.raises(ConfigError, match=r"^SWEEP_DIR: no finished cell to report: 1 summary.json cannot be read "
                                          r"\(e.g. .*sentiment__seed0/summary.json\)\. Run the sweep again"):
        write_report(tmp_path)


def test_report_reads_free_text_sets_by_their_own_metric(tmp_path):
    from meta_lightning.sweep.report import collect, to_markdown

    cell = tmp_path / "cells" / "all__seed0"
    cell.mkdir(parents=True)
    (cell / "cell.json").write_text(json.dumps({"name": "all__seed0", "group": "all", "seed": 0}))
    text = {"metric": "token_f1", "token_f1": 0.25, "held_out": True}
    summary = {"datasets": {"lies": {"accuracy": 0.6, "held_out": True}, "lies:text": text,
                            "instructions:text": {**text, "held_out": False, "token_f1": 0.4}},
               "baselines": {"question_only": {"lies:text": {**text, "token_f1": 0.1}}}, "validation": {},
               "machine": {"device": "AMD EPYC 7B13, 2 cores", "precision": "32-true", "devices": 1}}
    (cell / "summary.json").write_text(json.dumps(summary))
    group = collect(tmp_path)[0]
    assert group.held_out == {"lies": [0.6], "lies:text": [0.25]} and group.trained == {"instructions:text": [0.4]}
    assert group.baselines == {"question_only": {"lies:text": [0.1]}}
    assert group.machines == ["AMD EPYC 7B13, 2 cores, 32-true"]
    markdown = to_markdown([group])
    assert "0.250" in markdown and markdown.splitlines()[-1].endswith("| AMD EPYC 7B13, 2 cores, 32-true |")
    del summary["machine"]  # a summary written before machines were recorded
    (cell / "summary.json").write_text(json.dumps(summary))
    assert collect(tmp_path)[0].machines == ["unrecorded"]

"""The baselines of an activation run: one registry (name, function, help, order), run after the trained
meta-model's test on the same datamodule, splits and cached vectors.

Each lands in ``summary.json`` under ``baselines``, in the registry's order (the table's columns), and in
TensorBoard under ``baselines/NAME/...``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence

import torch

from meta_lightning.baselines.probe import probe_baseline, transfer_probe_baseline
from meta_lightning.errors import ConfigError
from meta_lightning.memory import release_freed
from meta_lightning.meta.reporting import RunReporter, format_summary, run_dir
from meta_lightning.side_trainer import side_trainer
from meta_lightning.summary import Summary, add_baseline, read_summary

FILED = "filed"
"""A baseline's result when its own reporter already filed it into the summary."""


@dataclass(frozen=True)
class Run:
    """What a baseline is handed: the trained run, and where its results go."""

    trained: object
    datamodule: object
    trainer: object
    summary_path: Path


@dataclass(frozen=True)
class Baseline:
    name: str
    help: str
    run: Callable[[Run], object]
    """Per-dataset results, ``FILED``, or None (skipped)."""
    default: bool = True
    loads_a_model: bool = False
    """It builds a meta-model of its own: the trained one's weights are dropped first (the checkpoint keeps
    them), so two copies never share the memory budget."""


def _fresh(trained):
    """A new meta-model with the trained one's options, initialised as it was before training."""
    from meta_lightning.meta import MetaModel

    hparams = {k: v for k, v in dict(trained.hparams).items() if not k.startswith("_")}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(trained.init_seed)  # its init_seed, so the same starting point
        return MetaModel(**hparams)


def _tested_as(run: Run, name: str, datamodule, train: bool) -> str:
    module = _fresh(run.trained)
    side = side_trainer(run.trainer, [RunReporter(baseline=name, summary_path=run.summary_path)])
    if train:
        side.fit(module, datamodule=datamodule)
    side.test(module, datamodule=datamodule, verbose=False)
    module.net.release()
    return FILED


def _untrained(run: Run):
    return _tested_as(run, "untrained", run.datamodule, train=False)


def _question_only(run: Run):
    if run.trainer.world_size > 1:
        print("baseline question_only skipped on several devices: run fit with --data.loader.vectors shuffled", flush=True)
        return None
    return _tested_as(run, "question_only", run.datamodule.with_vectors("shuffled"), train=True)


def _text(run: Run):
    from meta_lightning.baselines.text import text_baseline
    from meta_lightning.models.load import load_model

    loaded = load_model(run.trained.spec, device="cuda" if torch.cuda.is_available() else "cpu",
                        field="model.meta_model")
    return text_baseline(loaded, run.datamodule, batch_size=run.datamodule.eval_batch_size,
                         max_new_tokens=run.trained.options.prompt.max_answer_tokens)


REGISTRY: dict[str, Baseline] = {b.name: b for b in (
    Baseline("probe", "logistic regression on the vectors", lambda run: probe_baseline(run.datamodule)),
    Baseline("probe_transfer", "a probe of the two-class training classes read as the held-out classes by position",
             lambda run: transfer_probe_baseline(run.datamodule)),
    Baseline("untrained", "the initialised meta-model, tested without training", _untrained, loads_a_model=True),
    Baseline("question_only", "the same training and test with shuffled vectors: what the question text alone gives",
             _question_only, loads_a_model=True),
    Baseline("text", "the meta-model's LM reads each test conversation as text and answers zero-shot (minutes on "
             "a CPU)", _text, default=False, loads_a_model=True),
)}
"""Every baseline, in the order they run and stand in the table."""
DEFAULTS = [name for name, b in REGISTRY.items() if b.default]


def help_text() -> str:
    return ("After the test, run these on the same data and add them to the summary: "
            + "; ".join(f"{b.name} ({b.help}{'' if b.default else ', not by default'})" for b in REGISTRY.values())
            + ". [] runs none.")


def check_baselines(names: Sequence[str]) -> list[str]:
    """``names`` in the registry's order, or a one-line error naming an unknown one."""
    for name in names:
        if name not in REGISTRY:
            raise ConfigError("baselines", f"unknown baseline {name!r}", f"Use any of: {', '.join(REGISTRY)}")
    return [name for name in REGISTRY if name in names]


def _log(trainer, name: str, datasets: dict) -> None:
    from lightning.pytorch.loggers import TensorBoardLogger

    for logger in trainer.loggers:
        if isinstance(logger, TensorBoardLogger):
            metrics = {}
            for d, v in datasets.items():  # a free-text set's entry names its own metric (token F1)
                metric = v.get("metric", "accuracy")
                metrics[f"baselines/{name}/test/{d}/{'acc' if metric == 'accuracy' else metric}"] = v[metric]
            logger.log_metrics(metrics, step=trainer.global_step)


def run_baselines(names: Sequence[str], trained, datamodule, trainer) -> Optional[Summary]:
    """Run ``names``; returns the final summary (also printed, and saved to summary.json)."""
    summary_path = run_dir(trainer) / "summary.json"
    if not summary_path.exists() or not trainer.is_global_zero:
        return None
    run = Run(trained, datamodule, trainer, summary_path)
    for name in check_baselines(names):
        if REGISTRY[name].loads_a_model and trained.net.built:
            trained.net.release()
        print(f"baseline: {name}", flush=True)
        start = time.perf_counter()
        result = REGISTRY[name].run(run)
        release_freed()  # the next baseline starts from what the last one left in use, not its peak
        print(f"time: baseline {name} {time.perf_counter() - start:.0f} s", flush=True)
        if result != FILED:
            add_baseline(summary_path, name, result)
        summary = read_summary(summary_path)
        _log(trainer, name, summary.baselines.get(name, {}) if summary else {})
    summary = read_summary(summary_path)
    if summary is not None:
        print(format_summary(summary), flush=True)
    return summary

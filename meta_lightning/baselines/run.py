"""Run the baselines after a trained meta-model's test, on the same datamodule, splits and cached vectors.

- ``probe``: logistic regression on the vectors (see :mod:`meta_lightning.baselines.probe`);
- ``probe_transfer``: a probe of the training classes read as the held-out classes (lies), by position;
- ``untrained``: the meta-model as initialised (closed-form projector included), tested without training;
- ``question_only``: the same recipe trained and tested with each example's vectors swapped for another
  example's (``model.vectors: shuffled``), so it measures what the question text alone gives;
- ``text`` (opt-in, a few minutes on a CPU): the meta-model's LM, untrained, reads each test conversation as
  text and answers zero-shot (see :mod:`meta_lightning.baselines.text`).

Each lands in ``summary.json`` under ``baselines`` and in TensorBoard under ``baselines/NAME/...``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import torch

from meta_lightning.baselines.probe import probe_baseline, transfer_probe_baseline
from meta_lightning.errors import ConfigError
from meta_lightning.meta.reporting import format_summary, run_dir
from meta_lightning.summary import add_baseline, read_summary

BASELINES = ("probe", "probe_transfer", "untrained", "question_only", "text")


def check_baselines(names: Sequence[str]) -> list[str]:
    for name in names:
        if name not in BASELINES:
            raise ConfigError("baselines", f"unknown baseline {name!r}", f"Use any of: {', '.join(BASELINES)}")
    return list(names)


def _variant(trained, report_as: str, summary_path: Path, **changes):
    from meta_lightning.meta import MetaModel

    hparams = {k: v for k, v in dict(trained.hparams).items() if not k.startswith("_")}
    module = MetaModel(**{**hparams, **changes})
    module.report_as, module.summary_path = report_as, summary_path
    module.init_seed = trained.init_seed  # the untrained baseline is the trained model's starting point
    return module


def _baseline_trainer(trainer):
    """A trainer like the run's for one device, without checkpoints, validation or its own logger."""
    from lightning.pytorch import Trainer

    return Trainer(accelerator="gpu" if torch.cuda.is_available() else "cpu", devices=1, precision=trainer.precision,
                   max_steps=trainer.max_steps, gradient_clip_val=trainer.gradient_clip_val, logger=False,
                   enable_checkpointing=False, limit_val_batches=0, num_sanity_val_steps=0,
                   enable_progress_bar=False, enable_model_summary=False)


def _release(module) -> None:
    """Drop a finished baseline's weights now: three meta-models at once would not fit the memory budget."""
    import gc

    module.model = module.parts = None  # parts holds the blocks too
    gc.collect()


def _text(trained, datamodule) -> dict:
    from meta_lightning.baselines.text import text_baseline
    from meta_lightning.models.load import load_model

    loaded = load_model(trained.spec, device="cuda" if torch.cuda.is_available() else "cpu",
                        field="model.meta_model")
    return text_baseline(loaded, datamodule, batch_size=datamodule.eval_batch_size)


def _log(trainer, name: str, datasets: dict) -> None:
    from lightning.pytorch.loggers import TensorBoardLogger

    for logger in trainer.loggers:
        if isinstance(logger, TensorBoardLogger):
            metrics = {f"baselines/{name}/test/{d}/acc": v["accuracy"] for d, v in datasets.items()}
            logger.log_metrics(metrics, step=trainer.global_step)


def run_baselines(names: Sequence[str], trained, datamodule, trainer) -> dict:
    """Run ``names`` in order; returns the final summary (also printed, and saved to summary.json)."""
    summary_path = run_dir(trainer) / "summary.json"
    if not summary_path.exists() or not trainer.is_global_zero:
        return {}
    for name in check_baselines(names):
        print(f"baseline: {name}", flush=True)
        if name == "probe":
            add_baseline(summary_path, name, probe_baseline(datamodule))
        elif name == "probe_transfer":
            add_baseline(summary_path, name, transfer_probe_baseline(datamodule))
        elif name == "text":
            add_baseline(summary_path, name, _text(trained, datamodule))
        elif name == "untrained":
            module = _variant(trained, name, summary_path)
            trainer.test(module, datamodule=datamodule, verbose=False)
            _release(module)
        elif name == "question_only":
            if trainer.world_size > 1:
                print("baseline question_only skipped on several devices: run fit with --model.vectors shuffled", flush=True)
                add_baseline(summary_path, name, None)
                continue
            module = _variant(trained, name, summary_path, vectors="shuffled")
            side = _baseline_trainer(trainer)
            side.fit(module, datamodule=datamodule)
            side.test(module, datamodule=datamodule, verbose=False)
            _release(module)
        _log(trainer, name, (read_summary(summary_path) or {}).get("baselines", {}).get(name, {}))
    summary = read_summary(summary_path) or {}
    print(format_summary(summary), flush=True)
    return summary

"""What a run reports: per-dataset metrics, hp/ metrics for TensorBoard's HParams tab, samples, the lie
confusion figure, and the end-of-run summary (printed table and summary.json)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from meta_lightning.meta.evaluation import wilson_interval
from meta_lightning.paths import atomic_write_json

if TYPE_CHECKING:
    from meta_lightning.meta.module import MetaModel


def _tensorboard(module):
    from lightning.pytorch.loggers import TensorBoardLogger

    for logger in module.loggers:
        if isinstance(logger, TensorBoardLogger):
            return logger
    return None


def run_dir(trainer) -> Path:
    return Path(trainer.log_dir or trainer.default_root_dir)


class EpochReporter:
    def __init__(self, module: "MetaModel"):
        self._module = [module]  # a list, so the module is not registered as its own child
        self.last_validation: dict[str, float] = {}

    @property
    def module(self) -> "MetaModel":
        return self._module[0]

    def hparams_table(self) -> dict:
        m, dm = self.module, self.module.trainer.datamodule
        return {"data/behaviors": "+".join(dm.behaviors), "data/eval_behaviors": "+".join(dm.eval_behaviors),
                "data/input_model": dm.input_model.name, "model/meta_model": m.spec.name,
                "data/layers": ",".join(str(x) for x in dm.layers()), "data/positions": str(dm.capture.positions),
                "model/injection": m.hparams.injection, "model/trainable": m.hparams.trainable,
                "model/projector": type(m.projector.net).__name__, "model/lr": m.hparams.lr,
                "model/lora_rank": m.hparams.lora_rank, "data/seed": dm.seed, "data/train_size": dm.sizes["train"]}

    def hp_metric_names(self) -> list[str]:
        dm = self.module.trainer.datamodule
        return ["hp/val_acc"] + [f"hp/{name}_acc" for name in dm.behaviors + dm.eval_behaviors]

    def log_hparams(self) -> None:
        tb = _tensorboard(self.module)
        if tb is not None:
            tb.log_hyperparams(self.hparams_table(), {name: float("nan") for name in self.hp_metric_names()})

    def epoch_end(self, stage: str) -> None:
        m = self.module
        results = m.metrics.compute(stage)
        rows = m.metrics.take_rows(stage)
        if not results or m.trainer.sanity_checking:
            return
        if stage == "val":
            self.last_validation = {name: float(values["acc"]) for name, values in results.items()}
        dm = m.trainer.datamodule
        for name, values in results.items():
            for metric, value in values.items():
                m.log(f"{stage}/{name}/{metric}", value, add_dataloader_idx=False)
            m.log(f"hp/{name}_acc" if stage == "val" else f"{stage}/hp/{name}_acc", values["acc"], add_dataloader_idx=False)
        trained = [results[n]["acc"] for n in dm.behaviors if n in results]
        if trained:
            m.log("hp/val_acc" if stage == "val" else f"{stage}/hp/val_acc", sum(trained) / len(trained), add_dataloader_idx=False)
        counts = {name: int(m.all_gather(torch.tensor(len(r))).sum()) for name, r in sorted(rows.items())}
        if m.trainer.is_global_zero:
            self._write_tensorboard(stage, rows)
            if stage == "test":
                self._summary(results, counts)

    def _write_tensorboard(self, stage: str, rows: dict) -> None:
        from meta_lightning.behaviors import REGISTRY
        from meta_lightning.meta.figures import confusion_figure

        tb = _tensorboard(self.module)
        if tb is None:
            return
        step = self.module.global_step
        for name, r in rows.items():
            tb.experiment.add_text(f"{stage}/{name}/samples", r.samples_markdown(self.module.hparams.samples_to_log), step)
            classes = REGISTRY[name].classes if name in REGISTRY else ()
            if name in self.module.hparams.eval_behaviors and len(classes) == 2:
                fig = confusion_figure(r.confusion(tuple(classes)), tuple(classes), f"{name} ({stage}, step {step})")
                tb.experiment.add_figure(f"{stage}/{name}/confusion", fig, step)

    def _summary(self, results: dict, counts: dict) -> None:
        m, dm = self.module, self.module.trainer.datamodule
        out_dir = run_dir(m.trainer)
        datasets = {}
        for name, values in results.items():
            n = counts.get(name, 0)
            entry = {"accuracy": values["acc"], "auroc": values["auroc"], "questions": n,
                     "held_out": name in dm.eval_behaviors}
            if entry["held_out"]:
                entry["accuracy_ci95"] = list(wilson_interval(round(values["acc"] * n), n))
            datasets[name] = entry
        summary = {"train_behaviors": dm.behaviors, "eval_behaviors": dm.eval_behaviors, "input_model": dm.input_model.name,
                   "meta_model": m.spec.name, "seed": dm.seed, "global_step": m.global_step, "datasets": datasets,
                   "validation": self.last_validation, "log_dir": str(out_dir)}
        atomic_write_json(out_dir / "summary.json", summary)
        print(format_summary(summary), flush=True)


def format_summary(summary: dict) -> str:
    lines = ["", f"{'dataset':<14} {'split':<9} {'n':>5} {'accuracy':>9} {'AUROC':>7}  95% CI (held out)", "-" * 66]
    for name, d in summary["datasets"].items():
        ci = d.get("accuracy_ci95")
        ci_text = f"[{ci[0]:.3f}, {ci[1]:.3f}]" if ci else ""
        kind = "held-out" if d["held_out"] else "test"
        lines.append(f"{name:<14} {kind:<9} {d['questions']:>5} {d['accuracy']:>9.3f} {d['auroc']:>7.3f}  {ci_text}")
    lines += ["", f"TensorBoard logs: {summary['log_dir']}   (tensorboard --logdir {Path(summary['log_dir']).parent})",
              f"Summary JSON:     {Path(summary['log_dir']) / 'summary.json'}", ""]
    return "\n".join(lines)


def read_summary(path: Path) -> dict:
    return json.loads(Path(path).read_text())

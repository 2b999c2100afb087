"""What a run reports, as a Lightning callback: per-dataset metrics, hp/ metrics for TensorBoard's HParams tab,
samples, the lie confusion figure, the learning curve, and the end-of-run summary (printed table and
summary.json)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

import torch
from lightning.pytorch.callbacks import Callback

from meta_lightning.data.questions import behavior_of
from meta_lightning.meta.text_evaluation import HEADLINE, TextRows, text_entry
from meta_lightning.models.machine import trainer_machine
from meta_lightning.summary import Summary, add_baseline, scored, write_summary


def _tensorboard(module):
    from lightning.pytorch.loggers import TensorBoardLogger

    for logger in module.loggers:
        if isinstance(logger, TensorBoardLogger):
            return logger
    return None


def run_dir(trainer) -> Path:
    return Path(trainer.log_dir or trainer.default_root_dir)


class RunReporter(Callback):
    """Everything a run reports, as a Lightning callback (the meta-model only computes its metrics).

    Per-dataset metrics and ``hp/`` metrics for TensorBoard's HParams tab, samples, the lie confusion figure, the
    learning curve, and at test the summary table and ``summary.json``. The loss and validation histories are
    saved in checkpoints, so a resumed run draws its whole learning curve.

    Args:
        pending: Baselines that will file their results into this run's summary after its test.
        baseline: Report as this baseline: its test results are filed into ``summary_path`` (the trained run's
            summary), and nothing reaches TensorBoard (the baseline runner logs them there).
        summary_path: With ``baseline``: the trained run's ``summary.json``.
    """

    def __init__(self, pending: Sequence[str] = (), baseline: Optional[str] = None, summary_path: Optional[Path] = None):
        self.pending, self.baseline, self.summary_path = list(pending), baseline, summary_path
        self.own = baseline is None
        self.last_validation: dict[str, float] = {}
        self.validation_history: dict[str, list[tuple[int, float]]] = {}
        """Validation accuracy per dataset and step, for the learning-curve figure."""
        self.loss_history: list[tuple[int, float]] = []
        """(step, training loss), for the learning-curve figure."""

    # -- Lightning hooks -----------------------------------------------------------------------------------
    def on_train_start(self, trainer, module) -> None:
        self.module = module
        self.log_hparams()

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        if loss is not None and self.own:
            self.loss_history.append((module.global_step, float(loss.detach())))

    def on_validation_epoch_end(self, trainer, module) -> None:
        self.module = module
        self.epoch_end("val")

    def on_test_epoch_end(self, trainer, module) -> None:
        self.module = module
        self.epoch_end("test")

    def state_dict(self) -> dict:
        return {"loss_history": [list(x) for x in self.loss_history], "last_validation": dict(self.last_validation),
                "validation_history": {k: [list(x) for x in v] for k, v in self.validation_history.items()}}

    def load_state_dict(self, state: dict) -> None:
        self.loss_history = [tuple(x) for x in state.get("loss_history", [])]
        self.last_validation = dict(state.get("last_validation", {}))
        self.validation_history = {k: [tuple(x) for x in v] for k, v in state.get("validation_history", {}).items()}

    def hparams_table(self) -> dict:
        m, dm = self.module, self.module.trainer.datamodule
        source = m.net.source
        return {"data/behaviors": "+".join(dm.behaviors), "data/eval_behaviors": "+".join(dm.eval_behaviors),
                "data/input_model": dm.input_model.name, "model/meta_model": m.spec.name,
                "data/layers": ",".join(str(x) for x in source.layers), "data/positions": source.positions,
                "model/injection": m.options.injection.mode, "model/finetune": m.options.finetune.method,
                "model/projector": type(m.net.projector.net).__name__, "model/lr": m.options.optimizer.lr,
                "model/lora_rank": m.options.finetune.lora_rank, "data/seed": dm.seed, "data/train_size": dm.splits.train}

    def hp_metric_names(self) -> list[str]:
        dm = self.module.trainer.datamodule
        return ["hp/val_acc"] + [f"hp/{name}_acc" for name in dm.behaviors + dm.eval_behaviors]

    @staticmethod
    def _headline(values: dict) -> float:
        return values["acc"] if "acc" in values else values[HEADLINE]

    def log_hparams(self) -> None:
        tb = _tensorboard(self.module)
        if tb is not None and self.own:
            tb.log_hyperparams(self.hparams_table(), {name: float("nan") for name in self.hp_metric_names()})

    def epoch_end(self, stage: str) -> None:
        m = self.module
        results = m.metrics.compute(stage)
        direct = m.direct_metrics.compute(stage)
        m.direct_metrics.take_rows(stage)
        rows = m.metrics.take_rows(stage)
        texts = m.text_metrics.take(stage)
        if not (results or texts) or m.trainer.sanity_checking:
            return
        for name, values in direct.items():
            results.setdefault(name, {})["direct_acc"] = values["acc"]
        results.update({name: r.means() for name, r in texts.items()})
        if stage == "val" and self.own:
            self.last_validation = {name: float(self._headline(values)) for name, values in results.items()}
            for name, acc in self.last_validation.items():
                self.validation_history.setdefault(name, []).append((m.global_step, acc))
        dm = m.trainer.datamodule
        own = self.own  # a baseline's numbers reach TensorBoard through the baseline runner
        for name, values in results.items() if own else ():
            for metric, value in values.items():
                m.log(f"{stage}/{name}/{metric}", value, add_dataloader_idx=False)
            if "acc" in values:
                m.log(f"hp/{name}_acc" if stage == "val" else f"{stage}/hp/{name}_acc", values["acc"], add_dataloader_idx=False)
        trained = [results[n]["acc"] for n in dm.behaviors if "acc" in results.get(n, {})]
        if trained and own:
            name = "hp/val_acc" if stage == "val" else f"{stage}/hp/val_acc"
            m.log(name, sum(trained) / len(trained), add_dataloader_idx=False)
        counts = {name: int(m.all_gather(torch.tensor(len(r))).sum()) for name, r in sorted(rows.items())}
        if m.trainer.is_global_zero:
            if own:
                self._write_tensorboard(stage, {**rows, **texts})
            if stage == "test":
                self._summary(results, counts, texts)

    def _write_tensorboard(self, stage: str, rows: dict) -> None:
        from meta_lightning.behaviors import REGISTRY
        from meta_lightning.meta.figures import confusion_figure

        tb = _tensorboard(self.module)
        if tb is None:
            return
        step = self.module.global_step
        for name, r in rows.items():
            tb.experiment.add_text(f"{stage}/{name}/samples", r.samples_markdown(self.module.hparams.samples_to_log), step)
            if isinstance(r, TextRows):
                continue
            classes = REGISTRY[name].classes if name in REGISTRY else ()
            if name in self.module.trainer.datamodule.eval_behaviors and len(classes) == 2:
                fig = confusion_figure(r.confusion(tuple(classes)), tuple(classes), f"{name} ({stage}, step {step})")
                tb.experiment.add_figure(f"{stage}/{name}/confusion", fig, step)

    def _summary(self, results: dict, counts: dict, texts: dict[str, TextRows]) -> None:
        m, dm = self.module, self.module.trainer.datamodule
        datasets = {}
        for name, values in results.items():
            held_out = behavior_of(name) in dm.eval_behaviors
            if name in texts:
                words = getattr(dm.behavior(behavior_of(name)), "mention_words", None)
                datasets[name] = text_entry(texts[name], held_out, words if held_out else None)
            else:
                datasets[name] = dataset_entry(values, counts.get(name, 0), held_out)
        if not self.own:  # a baseline: filed beside the meta-model's own results
            add_baseline(self.summary_path, self.baseline, datasets)
            return
        out_dir = run_dir(m.trainer)
        details = {"train_behaviors": dm.behaviors, "eval_behaviors": dm.eval_behaviors,
                   "input_model": dm.input_model.name, "meta_model": m.spec.name, "seed": dm.seed,
                   "global_step": m.global_step, "machine": trainer_machine(m.trainer)}
        if m.net.alignment_cosine is not None:
            details["closed_form_fit_cosine"] = m.net.alignment_cosine
        summary = Summary("activations", "accuracy", datasets, baselines_pending=list(self.pending),
                          validation=self.last_validation, log_dir=str(out_dir), details=details)
        write_summary(out_dir / "summary.json", summary)
        self._learning_curve(out_dir)
        print(format_summary(summary), flush=True)

    def _learning_curve(self, out_dir: Path) -> None:
        from meta_lightning.meta.figures import learning_curve_figure

        m = self.module
        if not self.loss_history and not self.validation_history:
            return
        fig = learning_curve_figure(self.loss_history, self.validation_history, f"{m.spec.name}: learning curve")
        fig.savefig(out_dir / "learning_curve.png", dpi=110)
        tb = _tensorboard(m)
        if tb is not None:
            tb.experiment.add_figure("learning_curve", fig, m.global_step)


def dataset_entry(values: dict, n: int, held_out: bool) -> dict:
    """One dataset's summary entry: accuracy with its 95 % interval, AUROC, and the other readings where present."""
    entry = scored("accuracy", round(values["acc"] * n), n, held_out, auroc=values.get("auroc"), questions=n)
    entry["accuracy"] = values["acc"]  # the metric's own value (the hit count above is for the interval)
    for key, name in (("direct_acc", "accuracy_without_naming"), ("name_acc", "naming_accuracy")):
        if key in values:
            entry[name] = values[key]
    return entry


def _cell(d: dict | None) -> str:
    """A data set's headline (accuracy, or token F1 for free text) with its interval."""
    if not d:
        return f"{'':>22}"
    metric = d.get("metric", "accuracy")
    ci = d.get(f"{metric}_ci95") or [float("nan")] * 2
    return f"{d[metric]:>6.3f} [{ci[0]:.3f}, {ci[1]:.3f}]"


def format_summary(summary: Summary) -> str:
    """The end-of-run table: one row per dataset, the meta-model beside every baseline (in the order they ran),
    each with its 95 % CI."""
    baselines = summary.baselines
    names = list(baselines)
    width = max([17] + [len(name) for name in summary.datasets])
    header = (f"{'dataset':<{width}} {'split':<11} {'n':>5} {'meta-model [95% CI]':>22} {'no naming':>9} {'named ok':>8} "
              f"{'AUROC':>6}")
    header += "".join(f" {b + ' [95% CI]':>22}" for b in names)
    lines = ["", header, "-" * len(header)]
    for name, d in summary.datasets.items():
        kind = ("held-out" if d["held_out"] else "test") + (" F1" if d.get("metric") == HEADLINE else "")
        direct = d.get("accuracy_without_naming")
        named = d.get("naming_accuracy")
        auroc = d.get("auroc")
        row = (f"{name:<{width}} {kind:<11} {d['questions']:>5} {_cell(d):>22} "
               f"{'' if direct is None else f'{direct:.3f}':>9} {'' if named is None else f'{named:.3f}':>8} "
               f"{'' if auroc is None else f'{auroc:.3f}':>6}")
        row += "".join(f" {_cell(baselines[b].get(name)):>22}" for b in names)
        lines.append(row)
    lines += [f"{name}: answers that mention {', '.join(d['mentions']['words'])}: "
              + ", ".join(f"{label} {v['rate']:.3f} [{v['ci95'][0]:.3f}, {v['ci95'][1]:.3f}]"
                          for label, v in d["mentions"].items() if label != "words")
              for name, d in summary.datasets.items() if "mentions" in d]
    lines += ["", "no naming: P(Yes) read at the first answer token; named ok: the model's own class name was the true one.",
              "F1: a free-text data set, scored by token F1 (exact match, ROUGE-L and contains in summary.json).",
              f"TensorBoard logs: {summary.log_dir}   (tensorboard --logdir {Path(summary.log_dir).parent})",
              f"Summary JSON:     {Path(summary.log_dir) / 'summary.json'}"]
    machine = summary.details.get("machine")
    if machine:
        lines.append(f"Machine:          {machine['device']}, precision {machine['precision']}")
    return "\n".join(lines + [""])

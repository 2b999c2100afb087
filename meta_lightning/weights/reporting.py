"""What a weights run reports, as a Lightning callback: exact match and token accuracy per data set at every
validation and test, and at test the summary (``summary.json``), or a baseline's results filed into it."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional, Sequence

from lightning.pytorch.callbacks import Callback

from meta_lightning.models.machine import trainer_machine
from meta_lightning.summary import Summary, add_baseline, write_summary


class ProgramReporter(Callback):
    """Args:
        pending: Baselines that will file their results into this run's summary after its test.
        baseline: Report as this baseline: the test's results are filed into ``summary_path`` instead.
        summary_path: With ``baseline``: the trained run's ``summary.json``.
    """

    def __init__(self, pending: Sequence[str] = (), baseline: Optional[str] = None, summary_path: Optional[Path] = None):
        self.pending, self.baseline, self.summary_path = list(pending), baseline, summary_path

    def on_validation_epoch_end(self, trainer, module) -> None:
        self._log(module, "val")

    def on_test_epoch_end(self, trainer, module) -> None:
        datasets = self._log(module, "test")
        for name, unread in getattr(trainer.datamodule, "unread", {}).items():
            if name in datasets and unread:
                datasets[name]["not_read"] = dict(unread)
        if not trainer.is_global_zero:
            return
        if self.baseline is not None:
            add_baseline(self.summary_path, self.baseline, datasets)
        elif trainer.logger is not None and trainer.logger.log_dir:
            path = Path(trainer.logger.log_dir) / "summary.json"
            write_summary(path, Summary("weights", "exact_match", datasets, baselines_pending=self.pending,
                                        log_dir=str(path.parent), details={"inputs": module.hparams.inputs,
                                                 "machine": trainer_machine(trainer)}))
        shown = ("programs", "token_accuracy", "exact_match", "exact_match_ci95", "exact_match_model_alone", "same_weights",
                 "found_by_edit", "exact_match_without_edit")
        print(json.dumps({"inputs": module.hparams.inputs, **{k: {m: v[m] for m in shown if m in v}
                                                                for k, v in datasets.items()}}, indent=1), flush=True)
        if "library" in datasets:
            print(library_rows(datasets["library"]), flush=True)

    @staticmethod
    def _log(module, stage: str) -> dict:
        datasets = module.metrics.summarise(stage)  # every rank: the rows are gathered
        for name, entry in datasets.items():
            module.log(f"{stage}/{name}/exact_match", entry["exact_match"], add_dataloader_idx=False)
            module.log(f"{stage}/{name}/token_acc", entry["token_accuracy"], add_dataloader_idx=False)
            for extra in ("exact_match_model_alone", "same_weights", "found_by_edit", "exact_match_without_edit"):
                if extra in entry:
                    module.log(f"{stage}/{name}/{extra}", entry[extra], add_dataloader_idx=False)
        return datasets


def library_rows(entry: dict) -> str:
    """Tracr's library, a line per program: exact or not, token accuracy, the guess (its first line), and
    the programs not read with the reason."""
    rows = entry.get("per_program", {})
    lines = [f"Tracr's library: {sum(r['exact'] for r in rows.values())} of {len(rows) + len(entry.get('not_read', {}))} "
             "exact"]
    for name, row in rows.items():
        guess = row.get("guess", "").replace("\n", "; ")
        checked = {True: "compiles to its weights  ", False: "", None: ""}[row.get("same_weights")]
        checked += "(found by the edit search)  " if row.get("found_by_edit") else ""
        lines.append(f"  {name:<22} {'exact' if row['exact'] else 'wrong':<5}  token acc {row.get('token_accuracy', 0):.2f}  "
                     + checked + (f"({row['note']}) " if row.get("note") else "") + guess)
    lines += [f"  {name:<22} not read: {why}" for name, why in entry.get("not_read", {}).items()]
    return "\n".join(lines)

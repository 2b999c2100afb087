"""fit / validate / test / predict for the weight-reading meta-model: LightningCLI over WeightsMetaModel and
WeightsDataModule. A config selects it with ``kind: weights`` (see ``experiments/weights/``)."""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from jsonargparse import lazy_instance
from lightning.pytorch.loggers import TensorBoardLogger

from meta_lightning.commands.project import ProjectCLI
from meta_lightning.side_trainer import side_trainer
from meta_lightning.weights.datamodule import WeightsDataModule
from meta_lightning.weights.module import WeightsMetaModel
from meta_lightning.weights.reporting import ProgramReporter


class WeightsCLI(ProjectCLI):
    """After ``fit``: the test (held-out sampled programs and the hand-written ones), then the random-weights
    baseline trained and tested the same way. The run folder's ``summary.json`` holds both (the baseline under
    ``baselines.random``); it stays incomplete, for sweeps, until the baseline has filed its results."""

    KIND = "weights"
    DECODING = ("beam_width", "verify", "repair_rounds", "repair_width")

    def __init__(self, args=None, run: bool = True):
        defaults = {"logger": lazy_instance(TensorBoardLogger, save_dir="runs", name="weights", default_hp_metric=False)}
        super().__init__(WeightsMetaModel, WeightsDataModule, defaults, args, run)

    def add_arguments_to_parser(self, parser) -> None:
        super().add_arguments_to_parser(parser)
        parser.add_argument("--kind", type=Literal["weights"], default="weights",
                            help="weights: this run reads compiled models' weights (activations: the default CLI).")
        parser.add_argument("--test_after_fit", type=bool, default=True,
                            help="After fit, test on the held-out sampled and the hand-written programs.")
        parser.add_argument("--random_baseline", type=bool, default=True,
                            help="After the test, train and test the same model fed random weights (the program prior).")

    def _baseline_after_fit(self) -> bool:
        config = self.config.get("fit") if self.subcommand == "fit" else None
        return bool(config and config.get("test_after_fit", True) and config.get("random_baseline", True))

    def run_callbacks(self) -> list:
        return [ProgramReporter(pending=["random"] if self._baseline_after_fit() else [])]

    def after_fit(self) -> None:
        if not self.config["fit"].get("test_after_fit", True) or self.trainer.interrupted:
            return
        self.trainer.test(self.model, datamodule=self.datamodule, verbose=False)
        if self._baseline_after_fit() and self.trainer.is_global_zero and self.trainer.logger is not None:
            print("baseline: random weights", flush=True)
            hparams = {k: v for k, v in dict(self.model.hparams).items() if not k.startswith("_")}
            random_ = WeightsMetaModel(**{**hparams, "inputs": "random"})
            path = Path(self.trainer.logger.log_dir) / "summary.json"
            side = side_trainer(self.trainer, [ProgramReporter(baseline="random", summary_path=path)])
            side.fit(random_, datamodule=self.datamodule)
            side.test(random_, datamodule=self.datamodule, verbose=False)

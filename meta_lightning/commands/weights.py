"""fit / validate / test for the weight-reading meta-model: LightningCLI over WeightsMetaModel and
WeightsDataModule. A config selects it with ``kind: weights`` (see ``experiments/weights/``)."""
from __future__ import annotations

from typing import Literal

from jsonargparse import lazy_instance
from lightning.pytorch import Trainer
from lightning.pytorch.loggers import TensorBoardLogger

from meta_lightning.commands.lightning import ProjectCLI
from meta_lightning.weights.datamodule import WeightsDataModule
from meta_lightning.weights.module import WeightsMetaModel


class WeightsCLI(ProjectCLI):
    """After ``fit``: the test (held-out sampled programs and the hand-written ones), then the random-weights
    baseline trained and tested the same way. The run folder's ``summary.json`` holds both (the baseline under
    ``baselines.random``); it stays incomplete, for sweeps, until the baseline has filed its results."""

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

    def after_fit(self) -> None:
        config = self.config[self.subcommand]
        if not config.get("test_after_fit", True) or self.trainer.interrupted:
            return
        baseline = config.get("random_baseline", True)
        self.model.pending_baselines = ["random"] if baseline else []
        self.trainer.test(self.model, datamodule=self.datamodule, verbose=False)
        if baseline and self.trainer.is_global_zero:
            print("baseline: random weights", flush=True)
            hparams = {k: v for k, v in dict(self.model.hparams).items() if not k.startswith("_")}
            random_ = WeightsMetaModel(**{**hparams, "inputs": "random"})
            random_.summary_dir = self.trainer.logger.log_dir if self.trainer.logger else None
            random_.report_as = "random"
            side = Trainer(accelerator=self.trainer.accelerator, devices=1, precision=self.trainer.precision,
                           max_steps=self.trainer.max_steps, max_epochs=self.trainer.max_epochs,
                           gradient_clip_val=self.trainer.gradient_clip_val, logger=False, enable_checkpointing=False,
                           limit_val_batches=0, num_sanity_val_steps=0, enable_model_summary=False)
            side.fit(random_, datamodule=self.datamodule)
            side.test(random_, datamodule=self.datamodule, verbose=False)

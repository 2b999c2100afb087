"""fit / validate / test / predict for activation runs: LightningCLI over MetaModel and MetaDataModule."""
from __future__ import annotations

import time
from typing import Literal

import torch
from jsonargparse import lazy_instance
from lightning.pytorch.loggers import TensorBoardLogger

from meta_lightning.baselines.run import DEFAULTS, check_baselines, help_text, run_baselines
from meta_lightning.commands.project import ProjectCLI
from meta_lightning.data import MetaDataModule
from meta_lightning.meta import MetaModel
from meta_lightning.meta.reporting import RunReporter


def trainer_defaults() -> dict:
    from meta_lightning.models.cpu_precision import cpu_prefers_bf16

    bf16 = torch.cuda.is_available() or cpu_prefers_bf16()  # measured per machine on CPU, never assumed
    return {
        "precision": "bf16-mixed" if bf16 else "32-true",
        "logger": lazy_instance(TensorBoardLogger, save_dir="runs", name="meta", default_hp_metric=False),
        "gradient_clip_val": 1.0,
    }


class MetaCLI(ProjectCLI):
    """After ``fit``, the run is tested (held-out lies included), its baselines run, and the summary printed and
    saved."""

    KIND = "activations"

    def __init__(self, args=None, run: bool = True):
        super().__init__(MetaModel, MetaDataModule, trainer_defaults(), args, run)

    def add_arguments_to_parser(self, parser) -> None:
        parser.add_argument("--kind", type=Literal["activations"], default="activations",
                            help="activations: this run reads an input-model's activations (weights: see "
                                 "experiments/weights/).")
        parser.add_argument("--test_after_fit", type=bool, default=True,
                            help="After fit, run test on the trained weights and print the summary table.")
        parser.add_argument("--baselines", type=list[str], default=list(DEFAULTS), help=help_text())
        super().add_arguments_to_parser(parser)

    def _after_fit_baselines(self) -> list[str]:
        if self.subcommand != "fit" or not self.config["fit"].get("test_after_fit", True):
            return []
        return check_baselines(self.config["fit"].get("baselines") or [])

    def run_callbacks(self) -> list:
        return [RunReporter(pending=self._after_fit_baselines())]

    def _check_up_front(self) -> None:
        """Sources, splits, the meta-model's layer count and the checkpoint, before any model loads."""
        self.datamodule.use_meta_model(self.model.net)  # input_model: same reads the meta-model's base weights
        self.datamodule.check()
        self.model.net.check_before_loading()
        if self.checkpoint is not None:
            from meta_lightning.checkpoints import header
            from meta_lightning.meta.checkpoint import check_capture

            check_capture(self.checkpoint, self.datamodule.layers_from_config(), self.datamodule.positions())
            self.model.init_seed = header(self.checkpoint).get("init_seed", self.model.init_seed)

    before_test = before_validate = _check_up_front

    def before_predict(self) -> None:
        self._check_up_front()
        super().before_predict()

    def before_fit(self) -> None:
        self._check_up_front()
        super().before_fit()
        self.started = time.perf_counter()

    def after_fit(self) -> None:
        print(f"time: fit (models, capture, training, validation) {time.perf_counter() - self.started:.0f} s", flush=True)
        if self.config["fit"].get("test_after_fit", True) and not self.trainer.interrupted:
            start = time.perf_counter()
            self.trainer.test(self.model, datamodule=self.datamodule, verbose=False)
            print(f"time: test {time.perf_counter() - start:.0f} s", flush=True)
            baselines = self._after_fit_baselines()
            if baselines:
                run_baselines(baselines, self.model, self.datamodule, self.trainer)

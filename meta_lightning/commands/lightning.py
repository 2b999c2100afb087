"""fit / validate / test / predict: LightningCLI over MetaModel and MetaDataModule, with our defaults."""
from __future__ import annotations

import sys
from typing import Literal

import torch
from jsonargparse import lazy_instance
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI
from lightning.pytorch.loggers import TensorBoardLogger

from meta_lightning.data import MetaDataModule
from meta_lightning.meta import MetaModel


def trainer_defaults() -> dict:
    from meta_lightning.models.cpu_precision import cpu_prefers_bf16

    bf16 = torch.cuda.is_available() or cpu_prefers_bf16()  # measured per machine on CPU, never assumed
    return {
        "precision": "bf16-mixed" if bf16 else "32-true",
        "logger": lazy_instance(TensorBoardLogger, save_dir="runs", name="meta", default_hp_metric=False),
        "gradient_clip_val": 1.0,
    }


def _no_epoch_total(trainer) -> None:
    """A run bounded by max_steps has no epoch total: show "Epoch 0", not Lightning's "Epoch 0/-2"."""
    bar = trainer.progress_bar_callback
    if bar is not None and trainer.max_epochs in (None, -1) and hasattr(bar, "_get_train_description"):
        bar._get_train_description = lambda current_epoch: f"Epoch {current_epoch}"


class OneLineParser(LightningArgumentParser):
    """jsonargparse's errors as one line that names the field (its usage block is what --help is for)."""

    last_error: str = ""
    """``field: reason`` of the last error (the sweep check reads it)."""

    def error(self, message: str, ex=None):
        from meta_lightning.configs import parser_error

        field, reason = parser_error(ex or Exception(message), "")
        self.last_error = (f"{field}: {reason}" if field else reason).rstrip(".")
        prog = self.prog.replace(" [options]", "")  # jsonargparse's prog of a subcommand
        print(f"error: {self.last_error}. See `{prog} --help`", file=sys.stderr)
        sys.exit(2)


class ProjectCLI(LightningCLI):
    """What both sides' CLIs share: ``extends:`` expanded, our prog and epilog, one-line errors, seed 0."""

    def __init__(self, model_class, datamodule_class, defaults: dict, args=None, run: bool = True):
        from meta_lightning.commands import EPILOG
        from meta_lightning.configs import expand_extends

        args = expand_extends(list(sys.argv[1:] if args is None else args))
        super().__init__(model_class, datamodule_class, trainer_defaults=defaults, args=args, run=run,
                         seed_everything_default=0, save_config_kwargs={"overwrite": True},
                         parser_kwargs={"prog": "python -m meta_lightning", "epilog": EPILOG},
                         parser_class=OneLineParser)

    def add_arguments_to_parser(self, parser) -> None:
        parser.add_lightning_class_args(ModelCheckpoint, "checkpoint")
        # Lightning writes last.ckpt only alongside a top-k save, so keep the newest (no monitor: newest = best) and
        # link last.ckpt to it: a killed run resumes from its last validation with `--ckpt_path last.ckpt`.
        parser.set_defaults({"checkpoint.save_last": "link", "checkpoint.save_top_k": 1})

    def parse_arguments(self, parser, args) -> None:
        # ``args`` is always given (sys.argv expanded for ``extends:``), so skip LightningCLI's warning about it.
        self.config = parser.parse_args(args)

    def before_predict(self) -> None:
        if not self.config[self.subcommand].get("ckpt_path"):
            print("warning: predict without --ckpt_path answers with the untrained meta-model", file=sys.stderr)

    def after_predict(self) -> None:
        """Every prediction, one JSON object a line, in the run folder (and where it is, on stdout)."""
        import json

        from meta_lightning.meta.reporting import run_dir
        from meta_lightning.paths import atomic_write_text

        outputs = self.trainer.predict_loop.predictions or []
        if len(self.trainer.num_predict_batches) == 1:
            outputs = [outputs]  # one dataloader: Lightning does not nest its batches in a list
        rows = [row for loader in outputs for batch in loader for row in batch]
        path = run_dir(self.trainer) / "predictions.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, "".join(json.dumps(row) + "\n" for row in rows))
        print(f"predict: {len(rows)} predictions written to {path}", flush=True)


class MetaCLI(ProjectCLI):
    """After ``fit``, the run is tested (held-out lies included) and its summary printed and saved."""

    def __init__(self, args=None, run: bool = True):
        super().__init__(MetaModel, MetaDataModule, trainer_defaults(), args, run)

    def add_arguments_to_parser(self, parser) -> None:
        parser.add_argument("--kind", type=Literal["activations"], default="activations",
                            help="activations: this run reads an input-model's activations (weights: see "
                                 "experiments/weights/).")
        parser.add_argument("--test_after_fit", type=bool, default=True,
                            help="After fit, run test on the trained weights and print the summary table.")
        parser.add_argument("--baselines", type=list[str],
                            default=["probe", "probe_transfer", "untrained", "question_only"],
                            help="After the test, run these on the same data and add them to the summary: probe "
                                 "(logistic regression on the vectors), probe_transfer (a probe of the two-class "
                                 "training classes read as the held-out classes by position), untrained (the "
                                 "initialised meta-model), question_only (the same training with shuffled "
                                 "vectors); text, not by default (minutes on a CPU): the meta-model's LM reads "
                                 "each test conversation as text and answers zero-shot. [] runs none.")
        super().add_arguments_to_parser(parser)
        parser.link_arguments("data.eval_behaviors", "model.eval_behaviors")

    def _parse_ckpt_path(self) -> None:
        # LightningCLI reads the checkpoint's hyper-parameters here, before any hook: check the file first.
        subcommand = self.config.get("subcommand")
        ckpt_path = self.config[subcommand].get("ckpt_path") if subcommand else None
        self.checkpoint = None
        if ckpt_path and str(ckpt_path) not in ("last", "best", "hpc", "registry"):  # Lightning's own keywords
            from meta_lightning.meta.checkpoint import read_checkpoint

            self.checkpoint = read_checkpoint(ckpt_path)
        super()._parse_ckpt_path()

    def _check_up_front(self) -> None:
        """Sources, splits, the meta-model's layer count and the checkpoint, before any model loads."""
        self.datamodule.check()
        self.model.check_before_loading()
        if self.checkpoint is not None:
            from meta_lightning.meta.checkpoint import check_capture

            check_capture(self.checkpoint, self.datamodule.layers_from_config(), self.datamodule.positions())
            self.model.init_seed = self.checkpoint["meta_lightning"].get("init_seed", self.model.init_seed)

    before_test = before_validate = _check_up_front

    def before_predict(self) -> None:
        self._check_up_front()
        super().before_predict()

    def before_fit(self) -> None:
        from meta_lightning.baselines.run import check_baselines

        self._check_up_front()
        _no_epoch_total(self.trainer)
        baselines = check_baselines(self.config[self.subcommand].get("baselines") or [])
        if self.config[self.subcommand].get("test_after_fit", True):
            self.model.pending_baselines = baselines

    def after_fit(self) -> None:
        config = self.config[self.subcommand]
        if config.get("test_after_fit", True) and not self.trainer.interrupted:
            self.trainer.test(self.model, datamodule=self.datamodule, verbose=False)
            if config.get("baselines"):
                from meta_lightning.baselines.run import run_baselines

                run_baselines(config["baselines"], self.model, self.datamodule, self.trainer)

"""What both sides' LightningCLIs share: ``extends:``, our prog and epilog, one-line errors, seed 0, the
checkpoint read and checked up front, the progress bar, and ``predictions.jsonl``."""
from __future__ import annotations

import sys

from lightning.pytorch.callbacks import Callback, ModelCheckpoint, ProgressBar, TQDMProgressBar
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI

from meta_lightning.checkpoints import LIGHTNING_KEYWORDS, check_same_options, read_checkpoint


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


class RunGuard(Callback):
    """Ctrl-C and failures inside a Trainer: Lightning exits 1 after a KeyboardInterrupt, so the interrupt is
    recorded here for ``main`` to exit 130 with how to resume; a test, validation or prediction that stops
    takes away the run folder it had just made (nothing in it but its own config and logs)."""

    interrupted = False
    """Set when a Trainer of this process was stopped by Ctrl-C."""

    def setup(self, trainer, module, stage: str) -> None:
        import time

        self.started, self.stage = time.time(), stage

    def on_exception(self, trainer, module, exception: BaseException) -> None:
        if isinstance(exception, KeyboardInterrupt):
            RunGuard.interrupted = True
        if getattr(self, "stage", "fit") != "fit" and trainer.is_global_zero:
            _remove_if_new(trainer.log_dir, self.started)


def _remove_if_new(folder, since: float) -> None:
    """Delete ``folder`` if every file in it was written after ``since`` and none is a result worth keeping."""
    import shutil
    from pathlib import Path

    folder = Path(folder) if folder else None
    if folder is None or not folder.is_dir():
        return
    files = [p for p in folder.rglob("*") if p.is_file()]
    keep = any(p.suffix == ".ckpt" or p.name in ("summary.json", "predictions.jsonl") for p in files)
    if not keep and all(p.stat().st_mtime >= since - 1 for p in files) and folder.stat().st_mtime >= since - 1:
        shutil.rmtree(folder, ignore_errors=True)


class ProjectCLI(LightningCLI):
    """The base of ``MetaCLI`` and ``WeightsCLI``; ``KIND`` names the side, and the checkpoints it reads."""

    KIND = "activations"
    DECODING: tuple[str, ...] = ()
    """Model options that change only how a trained model answers: given with ``--ckpt_path`` they apply,
    where every other option must equal the checkpoint's."""

    def __init__(self, model_class, datamodule_class, defaults: dict, args=None, run: bool = True):
        from meta_lightning.commands import EPILOG
        from meta_lightning.configs import expand_extends

        self.checkpoint = None
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
        """Parse, then read ``--ckpt_path`` before anything else does: a bad file, a checkpoint of the other side,
        or model options other than the checkpoint's (which Lightning would silently replace) is one line."""
        self.config = parser.parse_args(args)
        subcommand = self.config.get("subcommand")
        config = self.config[subcommand] if subcommand else self.config
        ckpt_path = config.get("ckpt_path")
        if ckpt_path and str(ckpt_path) not in LIGHTNING_KEYWORDS:
            self.checkpoint = read_checkpoint(ckpt_path, self.KIND)
            saved = {k: v for k, v in (self.checkpoint.get("hyper_parameters") or {}).items() if k not in self.DECODING}
            check_same_options(saved, config.get("model"))
            self._decoding = {k: config["model"][k] for k in self.DECODING if k in (config.get("model") or {})}

    def _parse_ckpt_path(self) -> None:
        """Lightning puts the checkpoint's options in the config; the decoding options given stay."""
        super()._parse_ckpt_path()
        subcommand = self.config.get("subcommand")
        for key, value in getattr(self, "_decoding", {}).items():
            self.config[subcommand]["model"][key] = value

    def instantiate_trainer(self, **kwargs):
        """Our progress bar (a step-bounded run has no epoch total to show), then the run's own callbacks."""
        trainer = self.config_init[self.subcommand]["trainer"] if self.subcommand else self.config_init["trainer"]
        callbacks = list(kwargs.pop("callbacks", None) or trainer.get("callbacks") or [])
        if trainer.get("enable_progress_bar") is not False and not any(isinstance(c, ProgressBar) for c in callbacks):
            callbacks.append(TQDMProgressBar())
        return super().instantiate_trainer(callbacks=callbacks + [RunGuard()] + self.run_callbacks(), **kwargs)

    def run_callbacks(self) -> list:
        """Callbacks this side's runs always have (its reporter)."""
        return []

    def before_predict(self) -> None:
        if not self.config[self.subcommand].get("ckpt_path"):
            print("warning: predict without --ckpt_path answers with the untrained meta-model", file=sys.stderr)

    def check_run_folder(self) -> None:
        """The logger's folder must be writable: checked before anything loads or trains."""
        from meta_lightning.paths import writable_dir

        logger = self.trainer.logger
        if logger is not None and getattr(logger, "save_dir", None):
            writable_dir(logger.save_dir, "trainer.logger.init_args.save_dir")

    def before_fit(self) -> None:
        self.check_run_folder()
        if self.trainer.max_steps == 0:
            print("warning: --trainer.max_steps 0 trains nothing: the test reports the untrained model", file=sys.stderr)

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


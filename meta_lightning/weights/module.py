"""The weight-reading meta-model's LightningModule: steps, decoding for metrics, the optimiser, checkpoints.

Trained on next-token loss over the program. Metrics, per dataset: per-token accuracy (teacher-forced) and
whole-program exact match, also per program length (:mod:`.metrics`, reported by :mod:`.reporting`).
Validation decodes greedily (the model alone). Test and predict write ``beam_width`` programs each and, with
``verify``, answer with the first that Tracr compiles to the given weights (:mod:`.verify`); the model's
most likely program is reported beside it. With ``repair_rounds``, where no beam program compiles back, the
edit search (:mod:`.repair`) may still find one.
"""
from __future__ import annotations

from dataclasses import asdict
from typing import Literal, NamedTuple, Optional

import numpy as np
import torch
from lightning.pytorch import LightningModule

from meta_lightning.checkpoints import header, read_checkpoint, write_header
from meta_lightning.errors import ConfigError
from meta_lightning.schedules import adamw_with_schedule
from meta_lightning.weights import tracr_available
from meta_lightning.weights.decoding import beam, likelihood
from meta_lightning.weights.encoding import Encoding
from meta_lightning.weights.metrics import ProgramMetrics
from meta_lightning.weights.network import ProgramNetwork
from meta_lightning.weights.repair import repair_many
from meta_lightning.weights.tokens import ID, PAD, readable
from meta_lightning.weights.verify import Verifier

Inputs = Literal["real", "random"]
Decoding = Literal["constrained", "free"]


class Answer(NamedTuple):
    """What the meta-model answers for one model."""

    ids: list[int]
    same: Optional[bool]
    """Whether ``ids`` compiles to the given weights (None: unchecked)."""
    likely: list[int]
    """The model's most likely program (the answer without the check)."""
    edited: bool = False
    """Found by the edit search (:mod:`.repair`), not in the beam."""


class WeightsMetaModel(LightningModule):
    """Decompiles Tracr-compiled transformers into RASP programs.

    Args:
        d_model: Width of the transformer.
        layers: Transformer blocks.
        heads: Attention heads.
        dropout: Dropout in every block.
        lr: AdamW peak learning rate (linear warmup, then cosine decay to zero).
        weight_decay: AdamW weight decay.
        warmup_steps: Linear warmup steps.
        inputs: ``real`` weights, or ``random`` (Gaussian noise of the same shape: the program-prior baseline).
        decoding: ``constrained``: decode over the tokens the program grammar allows next (every guess is a
            program); ``free``: over the whole vocabulary.
        beam_width: Programs written per model at test and predict, most likely first (beam search); 1 is
            greedy decoding.
        verify: At test and predict, compile each of the beam's programs with Tracr (in order) and answer with
            the first whose model equals the given one; the most likely program where none does. Reads only
            the weights and the compiler, so ``decompile`` on a user's model does the same.
        repair_rounds: With ``verify``, where no beam program compiles back: rounds of editing the one whose
            compiled model is nearest the given weights, one token at a time (:mod:`.repair`); 0: none.
        repair_width: Edits compiled per round and model: the meta-model's most likely ones.
    """

    def __init__(self, d_model: int = 256, layers: int = 4, heads: int = 4, dropout: float = 0.1, lr: float = 1e-3,
                 weight_decay: float = 0.01, warmup_steps: int = 100, inputs: Inputs = "real",
                 decoding: Decoding = "constrained", beam_width: int = 8, verify: bool = True,
                 repair_rounds: int = 0, repair_width: int = 16):
        super().__init__()
        if d_model % heads:
            raise ConfigError("model.heads", f"d_model {d_model} is not divisible by {heads} heads",
                              "Use a head count that divides d_model")
        if inputs not in ("real", "random"):
            raise ConfigError("model.inputs", f"unknown value {inputs!r}", "Use real or random")
        if decoding not in ("constrained", "free"):
            raise ConfigError("model.decoding", f"unknown value {decoding!r}", "Use constrained or free")
        if beam_width < 1:
            raise ConfigError("model.beam_width", f"must be at least 1, got {beam_width}", "Use 1 (greedy) or more")
        for name, value, least in (("repair_rounds", repair_rounds, 0), ("repair_width", repair_width, 1)):
            if value < least:
                raise ConfigError(f"model.{name}", f"must be at least {least}, got {value}", f"Use {least} or more")
        self.save_hyperparameters()
        self.net: Optional[ProgramNetwork] = None
        self.metrics = ProgramMetrics()
        self.verifier: Optional[Verifier] = None

    def configure_model(self) -> None:
        if self.net is None:
            self.build(self.trainer.datamodule.encoding, self.trainer.datamodule.max_tokens())

    def build(self, encoding: Encoding, max_tokens: int) -> None:
        hp = self.hparams
        self.net = ProgramNetwork(encoding, max_tokens, hp.d_model, hp.layers, hp.heads, hp.dropout, hp.inputs,
                                  hp.decoding)

    # -- checkpoints ---------------------------------------------------------------------------------------
    def on_save_checkpoint(self, checkpoint: dict) -> None:
        write_header(checkpoint, "weights", encoding=asdict(self.net.encoding), max_tokens=self.net.max_tokens)

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        """Refuse, in one line, a checkpoint of another input encoding than this run's (the CLI has checked
        the file and its format already)."""
        saved = header(checkpoint)
        if self.net is not None and Encoding(**saved["encoding"]) != self.net.encoding:
            raise ConfigError("data.encoding", f"the checkpoint read {saved['encoding']}, this run "
                              f"{asdict(self.net.encoding)}", "Use the config the checkpoint was trained with "
                              "(config.yaml in its run folder)")

    @classmethod
    def from_checkpoint(cls, path: str, field: str = "--ckpt_path") -> "WeightsMetaModel":
        """A trained model from a ``fit`` checkpoint, ready to decompile; a bad file is a one-line error."""
        ckpt = read_checkpoint(path, "weights", field)
        saved = header(ckpt)
        model = cls(**{k: v for k, v in ckpt["hyper_parameters"].items() if not k.startswith("_")})
        model.build(Encoding(**saved["encoding"]), saved["max_tokens"])
        model.load_state_dict(ckpt["state_dict"])
        return model.eval()

    def decompile(self, params: dict, field: str = "--params") -> tuple[list[int], Optional[bool]]:
        """(program tokens, whether they compile to ``params``: None without ``verify``)."""
        batch = self.net.batch_of(params, field)
        batch["size"] = [int(sum(np.asarray(v).size for d in params.values() for v in d.values()))]
        answer = self.answers(batch)[0]
        return answer.ids, answer.same

    def answers(self, batch: dict) -> list[Answer]:
        """Per model, its answer (beam, compiler check and edits, as the options say)."""
        hp = self.hparams
        tokens, scores = beam(self.net, batch, hp.beam_width)
        if hp.verify and self.verifier is None and not tracr_available():
            print("weights: the compiler check is skipped: Tracr is not installed (pip install -e \".[weights]\")",
                  flush=True)
            self.hparams.verify = False
        if hp.verify and self.verifier is None:
            attached = self._trainer is not None and getattr(self._trainer, "datamodule", None) is not None
            self.verifier = Verifier(self.net.encoding, getattr(self._trainer.datamodule, "workers", 1) if attached else 1)
        candidates = [[[int(t) for t in tokens[i, k] if int(t) != ID[PAD]] for k in range(tokens.shape[1])
                       if torch.isfinite(scores[i, k])] for i in range(tokens.shape[0])]
        if not hp.verify:
            return [Answer(c[0], None, c[0]) for c in candidates]
        real = batch["vector_mask"]
        requests = [(c, batch["vectors"][i][real[i]].cpu().numpy(), batch["slots"][i][real[i]].cpu().numpy(),
                     batch["size"][i]) for i, c in enumerate(candidates)]
        chosen = self.verifier.choose_many(requests)
        answers = [Answer(c[k], same, c[0]) for c, (k, same) in zip(candidates, chosen)]
        missed = [i for i, (_, same) in enumerate(chosen) if not same and candidates[i]]
        if hp.repair_rounds and missed:
            def score(j: int, programs: list[list[int]]) -> np.ndarray:
                return likelihood(self.net, batch, missed[j], programs).cpu().numpy()

            edited = repair_many(self.verifier, [requests[i] for i in missed], score, hp.repair_rounds,
                                 hp.repair_width)
            for i, ids in zip(missed, edited):
                if ids is not None:
                    answers[i] = Answer(ids, True, candidates[i][0], edited=True)
        return answers

    def on_test_end(self) -> None:
        if self.verifier is not None:
            self.verifier.close()

    on_predict_end = on_test_end

    # -- steps ---------------------------------------------------------------------------------------------
    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        loss, right, count = self.net.loss_and_token_accuracy(batch)
        self.log("train/loss", loss, prog_bar=True, batch_size=len(count))
        self.log("train/token_acc", right.sum() / count.sum(), batch_size=len(count))
        return loss

    def _eval(self, stage: str, batch: dict) -> None:
        loss, right, count = self.net.loss_and_token_accuracy(batch)
        if stage == "val":  # greedy: the model alone, and fast
            written = [[int(t) for t in g if int(t) != ID[PAD]] for g in self.net.greedy(batch)]
            found = [Answer(ids, None, ids) for ids in written]
        else:
            found = self.answers(batch)
        exact, first, details = [], [], []
        for i, answer in enumerate(found):
            target = batch["tokens"][i][batch["token_mask"][i]].tolist()
            exact.append(answer.ids == target)
            first.append(answer.likely == target)
            details.append({"guess": readable(answer.ids)[0], "token_accuracy": int(right[i]) / max(int(count[i]), 1),
                            "same_weights": answer.same, **({"found_by_edit": True} if answer.edited else {}),
                            **({"note": batch["note"][i]} if batch["note"][i] else {})}
                           if batch["name"][i] else {})
        checked = all(a.same is not None for a in found)
        self.metrics.update(stage, batch["dataset"], int(right.sum()), int(count.sum()), batch["length"], exact,
                            batch["name"], details, first=first, same=[a.same for a in found],
                            edited=[a.edited for a in found] if checked and self.hparams.repair_rounds else None)
        self.log(f"{stage}/{batch['dataset']}/loss", loss, batch_size=len(count), add_dataloader_idx=False)

    def validation_step(self, batch: dict, batch_idx: int, dataloader_idx: int = 0) -> None:
        self._eval("val", batch)

    def test_step(self, batch: dict, batch_idx: int, dataloader_idx: int = 0) -> None:
        self._eval("test", batch)

    def predict_step(self, batch: dict, batch_idx: int) -> list[dict]:
        """Per model: the program written (RASP code), whether it is well formed, and, where the true program
        is known (a program file), whether it is exact."""
        rows = []
        for i, answer in enumerate(self.answers(batch)):
            ids, same = answer.ids, answer.same
            name, truth = batch["name"][i], batch["tokens"][i][batch["token_mask"][i]].tolist()
            text, well_formed = readable(ids)
            row = {"file": name, "program": text, "well_formed": well_formed, "same_weights": same, "exact": None}
            if len(truth) > 2:  # known: a program file, or a hand-written or library program
                row.update(exact=ids == truth, truth=readable(truth)[0])
            if batch["note"][i]:  # e.g. a library program outside the grammar
                row["note"] = batch["note"][i]
            rows.append(row)
        return rows

    def on_validation_epoch_start(self) -> None:
        self.metrics.reset("val")

    def on_test_epoch_start(self) -> None:
        self.metrics.reset("test")

    def configure_callbacks(self):
        """A trainer without a reporter (a plain ``Trainer().fit``) still reports, into its logger's folder."""
        from meta_lightning.weights.reporting import ProgramReporter

        return [] if any(isinstance(c, ProgramReporter) for c in self.trainer.callbacks) else [ProgramReporter()]

    def configure_optimizers(self):
        hp = self.hparams
        return adamw_with_schedule(self.parameters(), hp.lr, hp.weight_decay, "cosine", hp.warmup_steps,
                                   int(self.trainer.estimated_stepping_batches))

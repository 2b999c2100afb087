"""The weight-reading meta-model: a small transformer that reads a compiled model's weights and writes its RASP program.

One transformer over ``[w_1 .. w_N, <bos>, tok_1 .. tok_L]``, where each ``w`` is an input vector (a weight
matrix or a chunk, :mod:`.encoding`) plus its slot's embedding, with a prefix-LM mask: the weights see each
other (bidirectional), each program token sees every weight vector and the tokens before it (causal). It is trained
on next-token loss over the program. Metrics, per dataset: per-token accuracy (teacher-forced) and whole-program
exact match (greedy decoding), also per program length. ``inputs: random`` feeds Gaussian noise instead of
the weights, in training and test alike: the baseline of what the program prior alone gives.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Literal, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from lightning.pytorch import LightningModule

from meta_lightning.errors import ConfigError
from meta_lightning.intervals import wilson_interval
from meta_lightning.paths import atomic_write_json
from meta_lightning.schedules import lr_factor
from meta_lightning.summary import PENDING, add_baseline
from meta_lightning.weights.encoding import Encoding
from meta_lightning.weights.tokens import BOS, EOS, ID, PAD, VOCAB, allowed_next, readable

Inputs = Literal["real", "random"]
Decoding = Literal["constrained", "free"]
FORMAT = 2
"""Checkpoint format: 2 stores the input encoding (format 1 read flat chunks only)."""


def _check_format(saved: dict, field: str, what: str) -> None:
    if saved.get("format") != FORMAT:
        raise ConfigError(field, f"{what} was written by an older meta_lightning (format {saved.get('format', 1)}, "
                          f"this one reads {FORMAT})", "Train it again with `fit`")


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
        decoding: ``constrained``: greedy over the tokens the program grammar allows next (every guess is a
            program); ``free``: greedy over the whole vocabulary.
    """

    def __init__(self, d_model: int = 256, layers: int = 4, heads: int = 4, dropout: float = 0.1, lr: float = 1e-3,
                 weight_decay: float = 0.01, warmup_steps: int = 100, inputs: Inputs = "real",
                 decoding: Decoding = "constrained"):
        super().__init__()
        if d_model % heads:
            raise ConfigError("model.heads", f"d_model {d_model} is not divisible by {heads} heads",
                              "Use a head count that divides d_model")
        if inputs not in ("real", "random"):
            raise ConfigError("model.inputs", f"unknown value {inputs!r}", "Use real or random")
        if decoding not in ("constrained", "free"):
            raise ConfigError("model.decoding", f"unknown value {decoding!r}", "Use constrained or free")
        self.save_hyperparameters()
        self.net: Optional[nn.ModuleDict] = None
        self.results: dict[str, dict] = {}
        self.summary_dir: Optional[str] = None  # where test summaries go (default: the logger's run folder)
        self.pending_baselines: list[str] = []  # baselines that file their results into this run's summary later
        self.report_as: Optional[str] = None  # set on a baseline: its name in the run's summary["baselines"]

    def configure_model(self) -> None:
        if self.net is not None:
            return
        dm = self.trainer.datamodule
        self.build(dm.encoding, dm.max_tokens())

    def build(self, encoding: Encoding, max_tokens: int) -> None:
        hp = self.hparams
        block = nn.TransformerEncoderLayer(hp.d_model, hp.heads, 4 * hp.d_model, hp.dropout, batch_first=True,
                                           norm_first=True)
        self.net = nn.ModuleDict({
            "vector_in": nn.Linear(encoding.features(), hp.d_model),  # no norm first: a vector's scale is information
            "slot": nn.Embedding(encoding.slots(), hp.d_model), "token": nn.Embedding(len(VOCAB), hp.d_model),
            "token_pos": nn.Embedding(max_tokens, hp.d_model),
            "body": nn.TransformerEncoder(block, hp.layers, enable_nested_tensor=False),
            "norm": nn.LayerNorm(hp.d_model), "out": nn.Linear(hp.d_model, len(VOCAB))})
        self.encoding, self.max_tokens = encoding, max_tokens

    # -- checkpoints ---------------------------------------------------------------------------------------
    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint["weights_model"] = {"format": FORMAT, "encoding": asdict(self.encoding), "max_tokens": self.max_tokens}

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        """Refuse, in one line, a checkpoint of another format or another input encoding than this run's."""
        saved = checkpoint.get("weights_model") or {}
        _check_format(saved, "--ckpt_path", "the checkpoint")
        if self.net is not None and Encoding(**saved["encoding"]) != self.encoding:
            raise ConfigError("data.encoding", f"the checkpoint read {saved['encoding']}, this run "
                              f"{asdict(self.encoding)}", "Use the config the checkpoint was trained with "
                              "(config.yaml in its run folder)")

    @classmethod
    def from_checkpoint(cls, path: str, field: str = "--ckpt_path") -> "WeightsMetaModel":
        """A trained model from a ``fit`` checkpoint, ready to decompile; a bad file is a one-line error."""
        try:
            ckpt = torch.load(path, map_location="cpu", weights_only=True)
        except FileNotFoundError as e:
            raise ConfigError(field, f"no such file: {path}", "Point it at a .ckpt written by fit") from e
        except Exception as e:  # torch raises many types for a file that is not a (complete) checkpoint
            raise ConfigError(field, f"cannot read {path}: not a checkpoint, or truncated ({type(e).__name__})",
                              "Point it at a complete .ckpt written by fit") from e
        if not isinstance(ckpt, dict) or "weights_model" not in ckpt:
            raise ConfigError(field, f"{path} is not a weight-reading meta-model's checkpoint",
                              "Use a checkpoint from `fit --config experiments/weights/...`")
        saved = ckpt["weights_model"]
        _check_format(saved, field, path)
        model = cls(**{k: v for k, v in ckpt["hyper_parameters"].items() if not k.startswith("_")})
        model.build(Encoding(**saved["encoding"]), saved["max_tokens"])
        model.load_state_dict(ckpt["state_dict"])
        return model.eval()

    @torch.no_grad()
    def decompile(self, params: dict, field: str = "--params") -> list[int]:
        """Greedy program tokens for one compiled model's parameters (Tracr's nested dict)."""
        try:
            vectors, extent, slots = (torch.from_numpy(a)[None] for a in self.encoding.encode(params))
        except ConfigError as e:
            raise ConfigError(field, f"the model does not fit this meta-model: {e.problem} ({e.field})",
                              "Decompile a smaller compiled model, or train a meta-model with a larger "
                              f"{e.field}") from e
        batch = {"vectors": vectors, "extent": extent, "slots": slots,
                 "vector_mask": torch.ones(slots.shape, dtype=torch.bool)}
        tokens = self.greedy(batch)[0]
        return [int(t) for t in tokens if int(t) != ID[PAD]]

    # -- forward -------------------------------------------------------------------------------------------
    def prefix(self, batch: dict) -> torch.Tensor:
        """The input vectors embedded, [B, N, d]: computed once per batch, also when decoding."""
        vectors = batch["vectors"]
        if self.hparams.inputs == "random":  # noise in the cells the model has, at their scale: its size still shows
            real = vectors[batch["extent"]]
            scale = real.std().clamp_min(1e-3) if real.numel() > 1 else 1.0
            vectors = torch.randn_like(vectors) * scale * batch["extent"]
        return self.net["vector_in"](vectors) + self.net["slot"](batch["slots"])

    def logits(self, prefix: torch.Tensor, prefix_mask: torch.Tensor, tokens: torch.Tensor,
               token_mask: torch.Tensor) -> torch.Tensor:
        """Next-token logits at every token position: [B, T, V]."""
        net = self.net
        c, t = prefix.shape[1], tokens.shape[1]
        x = torch.cat([prefix, net["token"](tokens) + net["token_pos"].weight[:t]], 1)
        blocked = torch.ones(c + t, c + t, dtype=torch.bool, device=x.device)
        blocked[:, :c] = False  # everything sees the weights
        blocked[c:, c:] = torch.triu(torch.ones(t, t, dtype=torch.bool, device=x.device), 1)  # tokens: causal
        padding = ~torch.cat([prefix_mask, token_mask], 1)
        h = net["body"](x, mask=blocked, src_key_padding_mask=padding)
        return net["out"](net["norm"](h[:, c:]))

    def loss_and_token_accuracy(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Next-token loss; and per program, correct and counted target tokens (teacher-forced)."""
        tokens, mask = batch["tokens"], batch["token_mask"]
        logits = self.logits(self.prefix(batch), batch["vector_mask"], tokens[:, :-1], mask[:, :-1])
        targets = tokens[:, 1:].masked_fill(~mask[:, 1:], -100)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-100)
        right = ((logits.argmax(-1) == targets) & mask[:, 1:]).sum(1)
        return loss, right, mask[:, 1:].sum(1)

    @torch.no_grad()
    def greedy(self, batch: dict) -> torch.Tensor:
        """Greedy programs, [B, max_tokens], padded after <eos>."""
        prefix, prefix_mask = self.prefix(batch), batch["vector_mask"]
        b = prefix.shape[0]
        tokens = torch.full((b, 1), ID[BOS], dtype=torch.long, device=prefix.device)
        done = torch.zeros(b, dtype=torch.bool, device=prefix.device)
        for _ in range(self.max_tokens - 1):
            logits = self.logits(prefix, prefix_mask, tokens, torch.ones_like(tokens, dtype=torch.bool))[:, -1]
            if self.hparams.decoding == "constrained":
                allowed = torch.zeros_like(logits, dtype=torch.bool)
                for i in (~done).nonzero().flatten().tolist():
                    allowed[i, allowed_next(tokens[i].tolist())] = True
                logits = logits.masked_fill(~allowed, float("-inf"))
            nxt = logits.argmax(-1).masked_fill(done, ID[PAD])
            tokens = torch.cat([tokens, nxt[:, None]], 1)
            done |= nxt == ID[EOS]
            if done.all():
                break
        return tokens

    # -- steps ---------------------------------------------------------------------------------------------
    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        loss, right, count = self.loss_and_token_accuracy(batch)
        self.log("train/loss", loss, prog_bar=True, batch_size=len(count))
        self.log("train/token_acc", right.sum() / count.sum(), batch_size=len(count))
        return loss

    def _eval(self, stage: str, batch: dict, dataloader_idx: int) -> None:
        name = self.trainer.datamodule.eval_names(stage)[dataloader_idx]
        loss, right, count = self.loss_and_token_accuracy(batch)
        guess = self.greedy(batch)
        exact = []
        for i in range(len(count)):
            target = batch["tokens"][i][batch["token_mask"][i]]
            written = guess[i][guess[i] != ID[PAD]]
            exact.append(len(written) == len(target) and bool((written == target).all()))
        rows = self.results.setdefault(f"{stage}/{name}", {"right": 0, "tokens": 0, "rows": []})
        rows["right"] += int(right.sum())
        rows["tokens"] += int(count.sum())
        rows["rows"] += [{"length": int(n), "exact": e, "name": s} for n, e, s in zip(batch["length"], exact, batch["name"])]
        self.log(f"{stage}/{name}/loss", loss, batch_size=len(count), add_dataloader_idx=False)

    def validation_step(self, batch: dict, batch_idx: int, dataloader_idx: int = 0) -> None:
        self._eval("val", batch, dataloader_idx)

    def test_step(self, batch: dict, batch_idx: int, dataloader_idx: int = 0) -> None:
        self._eval("test", batch, dataloader_idx)

    def predict_step(self, batch: dict, batch_idx: int) -> list[dict]:
        """Per model: the program written (RASP code), whether it is well formed, and, where the true program
        is known (a program file), whether it is exact."""
        guess, rows = self.greedy(batch), []
        for i, name in enumerate(batch["name"]):
            ids = [int(t) for t in guess[i] if int(t) != ID[PAD]]
            truth = batch["tokens"][i][batch["token_mask"][i]].tolist()
            text, well_formed = readable(ids)
            row = {"file": name, "program": text, "well_formed": well_formed, "exact": None}
            if len(truth) > 2:  # known: a program file, or a hand-written program
                row.update(exact=ids == truth, truth=readable(truth)[0])
            rows.append(row)
        return rows

    def on_validation_epoch_start(self) -> None:
        self.results = {k: v for k, v in self.results.items() if not k.startswith("val/")}

    def on_test_epoch_start(self) -> None:
        self.results = {k: v for k, v in self.results.items() if not k.startswith("test/")}

    def summarise(self, stage: str) -> dict:
        """Per dataset: token accuracy, exact match (with 95 % intervals), and both by program length."""
        out = {}
        for key, r in self.results.items():
            if not key.startswith(f"{stage}/"):
                continue
            rows, n = r["rows"], len(r["rows"])
            exact = sum(x["exact"] for x in rows)
            entry = {"programs": n, "token_accuracy": r["right"] / max(r["tokens"], 1),
                     "exact_match": exact / max(n, 1), "exact_match_ci95": list(wilson_interval(exact, n)),
                     "by_length": {}}
            for length in sorted({x["length"] for x in rows}):
                of = [x["exact"] for x in rows if x["length"] == length]
                entry["by_length"][str(length)] = {"programs": len(of), "exact_match": sum(of) / len(of),
                                                   "exact_match_ci95": list(wilson_interval(sum(of), len(of)))}
            named = [x for x in rows if x["name"]]
            if named:
                entry["programs_exact"] = {x["name"]: x["exact"] for x in named}
            out[key.split("/", 1)[1]] = entry
        return out

    def _log_summary(self, stage: str) -> dict:
        summary = self.summarise(stage)
        for name, entry in summary.items():
            self.log(f"{stage}/{name}/exact_match", entry["exact_match"], add_dataloader_idx=False)
            self.log(f"{stage}/{name}/token_acc", entry["token_accuracy"], add_dataloader_idx=False)
        return summary

    def on_validation_epoch_end(self) -> None:
        self._log_summary("val")

    def on_test_epoch_end(self) -> None:
        summary = self._log_summary("test")
        log_dir = self.summary_dir or (getattr(self.trainer.logger, "log_dir", None) if self.trainer.logger else None)
        if log_dir and self.trainer.is_global_zero:
            path = Path(log_dir) / "summary.json"
            if self.report_as:  # a baseline: filed into the run's summary, which then no longer waits for it
                add_baseline(path, self.report_as, summary)
            else:
                atomic_write_json(path, {"inputs": self.hparams.inputs, "metric": "exact_match", "datasets": summary,
                                         "baselines": {}, PENDING: list(self.pending_baselines)})
            print(json.dumps({"inputs": self.hparams.inputs, **{k: {m: v[m] for m in ("programs", "token_accuracy",
                  "exact_match", "exact_match_ci95")} for k, v in summary.items()}}, indent=1), flush=True)

    def configure_optimizers(self):
        hp = self.hparams
        optimizer = torch.optim.AdamW(self.parameters(), lr=hp.lr, weight_decay=hp.weight_decay)
        factor = lr_factor("cosine", hp.warmup_steps, int(self.trainer.estimated_stepping_batches))
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}

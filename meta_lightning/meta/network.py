"""The meta-model as a plain ``nn.Module``: an HF causal LM, the projector and the prompt, with no Trainer.

``MetaNetwork.build`` is the one way to assemble it (load the LM, add the placeholder, make the projector,
choose what trains); the LightningModule trains it, and ``ask`` answers with it directly.
"""
from __future__ import annotations

from contextlib import contextmanager, nullcontext
from dataclasses import asdict
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from meta_lightning.data.questions import QuestionBatch
from meta_lightning.data.source import ActivationSource
from meta_lightning.meta.alignment import fit_closed_form, name_embeddings
from meta_lightning.meta.answers import Decoding, Readings, yes_probability
from meta_lightning.meta.formats import FORMATS, AnswerFormat
from meta_lightning.meta.inject import add_placeholder_rows, make_injector
from meta_lightning.meta.options import MetaOptions
from meta_lightning.meta.projector import Projector, layer_indices
from meta_lightning.meta.prompt import PromptBatch, PromptBuilder
from meta_lightning.meta.trainable import apply_trainable, checkpoint_blocks
from meta_lightning.models import ModelSpec
from meta_lightning.models.architecture import find_layout
from meta_lightning.models.load import config_layer_count, load_model
from meta_lightning.seeding import derive_seed


class MetaNetwork(nn.Module):
    """Projected activation vectors in at placeholder tokens, answer logits and readings out.

    Args:
        spec: The trainable LM. Its ``dtype: auto`` loads float32 everywhere (mixed precision does the rest).
        options: The grouped options (injection, projector, prompt, finetune, optimizer).
    """

    def __init__(self, spec: ModelSpec, options: MetaOptions):
        super().__init__()
        self.spec, self.options = spec, options
        self.injector = make_injector(options.injection)  # the one place the mode is read
        self.yes_no_format = FORMATS[options.prompt.answer_format]  # how Yes/No questions are answered
        self.model: Optional[nn.Module] = None
        self.projector: Optional[Projector] = None
        self.source: Optional[ActivationSource] = None
        self.meta_fingerprint: Optional[str] = None
        self.alignment_cosine: Optional[float] = None

    @property
    def built(self) -> bool:
        return self.model is not None

    def check_before_loading(self) -> None:
        """The injection layer against the LM's config alone (the CLI calls it before any model loads)."""
        count = config_layer_count(self.spec, "model.meta_model")
        if count is not None:
            self.injector.check_layers(count)

    def build(self, source: ActivationSource, init_seed: int, training_vectors=None, text_pairs=None) -> "MetaNetwork":
        """Load the LM for ``source``'s activations: its statistics standardise, ``closed_form`` fits the
        projector on ``training_vectors()`` and ``text`` on ``text_pairs(passages, window)``. A checkpoint loaded
        afterwards replaces all of them.

        Initialisation draws from its own stream of ``init_seed``, so it does not depend on what consumed the
        global generator before (a GGUF conversion in the same process, a capture); the global stream is left
        as it was."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(derive_seed(init_seed, "meta-model initialisation"))
            self._assemble(source.hidden_size, len(source.layers), source.fingerprint)
        self.source = source
        if self.options.projector.standardize and source.statistics is not None:
            self.projector.set_statistics(*source.statistics)
        projector = self.options.projector
        if projector.init == "closed_form" and training_vectors is not None:
            self.align(*training_vectors())
        if projector.init == "text" and text_pairs is not None:
            self.align_text(*text_pairs(projector.text_passages, projector.text_window))
        return self

    def _assemble(self, input_hidden_size: int, num_source_layers: int, input_fingerprint: Optional[str]) -> None:
        projector, prompt, finetune = self.options.projector, self.options.prompt, self.options.finetune
        spec = self.spec if self.spec.dtype != "auto" else ModelSpec(**{**asdict(self.spec), "dtype": "float32"})
        loaded = load_model(spec, device="cpu", causal_lm=True, field="model.meta_model",
                            check_layers=self.injector.check_layers)
        self.prompts = PromptBuilder(loaded.tokenizer, prompt.placeholder, prompt.template, prompt.system_prompt,
                                     prompt.chat_template, prompt.separator)
        self.yes_no_format.check(self.prompts)
        add_placeholder_rows(loaded.model, len(loaded.tokenizer))
        d_out, kind = loaded.parts.hidden_size, projector.kind
        if kind == "auto":
            kind = "identity" if (input_fingerprint == loaded.fingerprint and input_hidden_size == d_out) else "linear"
        rms = loaded.model.get_input_embeddings().weight.detach().float().pow(2).mean().sqrt().item()
        self.projector = Projector(input_hidden_size, d_out, kind, num_source_layers, projector.normalize,
                                   self.injector.target_rms(rms), standardize=projector.standardize)
        if projector.lr == 0:
            self.projector.requires_grad_(False)
        self.injector.check_layers(loaded.parts.num_layers)
        self.model = apply_trainable(loaded.model, loaded.parts, finetune.method, finetune.lora_rank,
                                     finetune.lora_alpha, finetune.lora_dropout, finetune.lora_targets)
        if finetune.gradient_checkpointing:
            checkpoint_blocks(self.model)
        self.model.train()
        self.parts = find_layout(self.model)
        self.num_source_layers = num_source_layers
        self.meta_fingerprint, self.meta_name = loaded.fingerprint, loaded.name

    @contextmanager
    def base_model(self):
        """The LM's own weights with the LoRA switched off, in eval mode: what ``data.input_model: same`` reads,
        with no second copy in memory. Training mode and the adapters come back on exit."""
        model = self.model
        training = model.training
        with model.disable_adapter() if hasattr(model, "disable_adapter") else nullcontext():
            base = model.get_base_model() if hasattr(model, "get_base_model") else model
            base.eval()
            try:
                yield base
            finally:
                model.train(training)

    def release(self) -> None:
        """Drop the weights now (a finished baseline): two meta-models at once would not fit the memory budget."""
        import gc

        self.model = self.parts = self.projector = None
        gc.collect()

    def align(self, vectors: list[torch.Tensor], names: list[str]) -> float:
        """Closed-form projector: every vector of an example onto the embedding of the example's class name."""
        table = name_embeddings(names, self.prompts.tokenizer, self.model.get_input_embeddings().weight.detach())
        counts = [v.shape[0] for v in vectors]
        targets = torch.cat([table[n].expand(c, -1) for n, c in zip(names, counts)])
        index = layer_indices(counts, self.num_source_layers)
        self.alignment_cosine = fit_closed_form(self.projector.cpu(), torch.cat(vectors), index, targets,
                                                self.options.projector.ridge)
        return self.alignment_cosine

    def align_text(self, vectors: list[torch.Tensor], windows: list[str]) -> float:
        """Label-free projector: each position's vectors ``[layers, d]`` onto the embedding of the text around it."""
        tokenizer = self.prompts.tokenizer
        keep = [i for i, w in enumerate(windows) if tokenizer.encode(w, add_special_tokens=False)]
        vectors, windows = [vectors[i] for i in keep], [windows[i] for i in keep]
        table = name_embeddings(windows, tokenizer, self.model.get_input_embeddings().weight.detach())
        x = torch.stack(vectors)  # [N, L, d]
        n, layers = x.shape[:2]
        index = torch.arange(layers).repeat(n)
        targets = torch.stack([table[w] for w in windows]).repeat_interleave(layers, 0)
        self.alignment_cosine = fit_closed_form(self.projector.cpu(), x.reshape(n * layers, -1), index, targets,
                                                self.options.projector.ridge)
        return self.alignment_cosine

    def trained_keys(self) -> set[str]:
        """State-dict keys of what trains (a checkpoint keeps these only)."""
        names = {f"model.{n}" for n, p in self.model.named_parameters() if p.requires_grad}
        return names | {f"projector.{n}" for n in self.projector.state_dict()}

    # -- forward -------------------------------------------------------------------------------------------
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def format_for(self, kind: str) -> AnswerFormat:
        """The format a question of ``kind`` is answered in."""
        return self.yes_no_format if kind == "yes_no" else FORMATS[kind]

    def names_for(self, batch: QuestionBatch) -> Optional[list]:
        """What each target writes before its answer (the class name of ``name_then_answer``), else None."""
        if "class_name" not in batch:
            return None
        kinds = batch.get("kind") or ["yes_no"] * len(batch["question"])
        names = [self.format_for(k).prefix(c) for k, c in zip(kinds, batch["class_name"])]
        return names if any(n is not None for n in names) else None

    def run(self, batch: QuestionBatch, answers: Sequence[Optional[str]], names=None, keep: Optional[int] = None,
            use_cache: bool = False):
        """The LM over prompts built for ``batch``, activations injected; returns (output, prompt)."""
        acts = batch["activations"]
        counts = [a.shape[0] for a in acts]
        prompt = self.prompts.build(batch["question"], answers, counts, names)
        device = self.device()
        noise = self.options.projector.noise if self.training else 0.0
        vectors = self.projector(torch.cat(acts).to(device).float(), layer_indices(counts, self.num_source_layers, device),
                                 noise=noise)
        ids, mask = prompt.input_ids.to(device), prompt.placeholder_mask.to(device)
        kwargs = {"attention_mask": prompt.attention_mask.to(device), "position_ids": prompt.position_ids.to(device),
                  "use_cache": use_cache}
        if self.parts.keeps_logits and keep is not None:  # the lm_head runs on the kept positions only (-1: the answer's)
            kwargs["logits_to_keep"] = prompt.targets.shape[1] if keep == -1 else keep
        return self.injector.forward(self.model, self.parts, ids, mask, vectors, **kwargs), prompt

    def answer_logits(self, batch: QuestionBatch) -> tuple[torch.Tensor, PromptBatch]:
        """Logits of the positions that predict answer tokens only: [B, A, V] (teacher-forced)."""
        out, prompt = self.run(batch, batch["answer"], self.names_for(batch), keep=-1)
        return out.logits[:, -prompt.targets.shape[1]:], prompt

    def loss_and_p_yes(self, batch: QuestionBatch) -> tuple[torch.Tensor, torch.Tensor]:
        """Teacher-forced loss over the answer tokens, and P(Yes) at the verdict (after the true name, if any)."""
        logits, prompt = self.answer_logits(batch)
        targets = prompt.targets.to(logits.device)
        loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-100)
        rows = torch.arange(logits.shape[0], device=logits.device)
        verdict = logits[rows, prompt.verdict.to(logits.device)]  # P(Yes) from the Yes and No logits, not an argmax
        return loss, yes_probability(verdict, self.prompts.yes_id, self.prompts.no_id)

    def decoding(self, out, prompt: PromptBatch) -> Decoding:
        """Where greedy decoding continues from a prompt pass run with ``use_cache=True``."""
        device = out.logits.device
        return Decoding(out.logits[:, -1], getattr(out, self.parts.cache_argument), self.model,
                        prompt.attention_mask.to(device), prompt.position_ids.to(device), self.parts.cache_argument)

    def read(self, batch: QuestionBatch) -> Readings:
        """Untaught answers in the format of the batch's questions (one kind per batch): P(Yes) for Yes/No
        questions (directly, and after the model's own class name), greedy text for free-text ones."""
        kinds = set(batch.get("kind") or ["yes_no"])
        if len(kinds) != 1:
            raise ValueError(f"an evaluation batch mixes question kinds {sorted(kinds)}; give each kind its own loader")
        return self.format_for(kinds.pop()).read(self, batch)

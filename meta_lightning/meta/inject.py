"""Putting projected activation vectors into the meta-model's forward pass.

``replace`` (Meta-Models, arXiv 2410.02472): the vectors are the placeholders' input embeddings.
``add`` (Activation Oracles, arXiv 2512.15674): at decoder layer k, each placeholder's residual h becomes
h + c * ||h|| * v / ||v||, so the injected vector has the residual's own scale at that depth.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Literal, get_args

import torch
from torch import nn

from meta_lightning.errors import ConfigError
from meta_lightning.models.architecture import ModelParts

Injection = Literal["replace", "add"]
MODES = get_args(Injection)


def add_placeholder_rows(model: nn.Module, vocab_size: int) -> None:
    """Grow the embeddings (and an untied lm_head) to ``vocab_size``; new rows are the mean of the old ones.

    Deterministic on purpose: the rows are not trained or checkpointed, so a reload must rebuild them exactly.
    """
    old = model.get_input_embeddings().weight.shape[0]
    if vocab_size <= old:
        return
    model.resize_token_embeddings(vocab_size, mean_resizing=False)
    with torch.no_grad():
        emb = model.get_input_embeddings().weight
        emb[old:] = emb[:old].mean(0)
        head = model.get_output_embeddings()
        if head is not None and head.weight is not emb and head.weight.shape[0] == vocab_size:
            head.weight[old:] = head.weight[:old].mean(0)
            if getattr(head, "bias", None) is not None:
                head.bias[old:] = head.bias[:old].mean()


def replace_embeddings(embeddings: torch.Tensor, mask: torch.Tensor, vectors: torch.Tensor) -> torch.Tensor:
    """``embeddings`` [B, T, d] with the rows under ``mask`` [B, T] replaced, in order, by ``vectors`` [N, d]."""
    if int(mask.sum()) != vectors.shape[0]:
        raise ConfigError("model.prompt.template", f"{int(mask.sum())} placeholders for {vectors.shape[0]} activation vectors",
                          "Each example needs one placeholder per vector")
    return embeddings.masked_scatter(mask.unsqueeze(-1), vectors.to(embeddings.dtype))


def norm_matched_add(hidden: torch.Tensor, mask: torch.Tensor, vectors: torch.Tensor, coefficient: float) -> torch.Tensor:
    """``hidden`` with c * ||h|| * v / ||v|| added at the placeholder rows."""
    h = hidden[mask]
    v = vectors.to(hidden.dtype)
    step = coefficient * h.norm(dim=-1, keepdim=True) * v / v.norm(dim=-1, keepdim=True).clamp_min(1e-6)
    out = hidden.clone()
    out[mask] = h + step
    return out


@contextmanager
def add_at_layer(layer: nn.Module, mask: torch.Tensor, vectors: torch.Tensor, coefficient: float):
    """While active, the input of ``layer`` (decoder block k) gets :func:`norm_matched_add`."""
    def pre_hook(module, args, kwargs):
        hidden = ModelParts.block_input(args, kwargs)
        return ModelParts.with_block_input(args, kwargs, norm_matched_add(hidden, mask, vectors, coefficient))

    handle = layer.register_forward_pre_hook(pre_hook, with_kwargs=True)
    try:
        yield
    finally:
        handle.remove()


class ReplaceInjector:
    """``replace``: the vectors are the placeholders' input embeddings, scaled like the embedding rows."""

    mode = "replace"

    def __init__(self, options):
        self.options = options

    def check_layers(self, num_layers: int) -> None:
        """Nothing to check: the embeddings exist in every model."""

    def target_rms(self, embedding_rms: float) -> float:
        return embedding_rms

    def forward(self, model: nn.Module, parts: ModelParts, ids: torch.Tensor, mask: torch.Tensor,
                vectors: torch.Tensor, **kwargs):
        return model(inputs_embeds=replace_embeddings(parts.embeddings(ids), mask, vectors), **kwargs)


class AddInjector(ReplaceInjector):
    """``add``: a norm-matched vector added to the placeholders' residual at the input of block ``layer``."""

    mode = "add"

    def check_layers(self, num_layers: int) -> None:
        if not 0 <= self.options.layer < num_layers:
            raise ConfigError("model.injection.layer", f"{self.options.layer} is out of range for a meta-model with "
                              f"{num_layers} layers", f"Use 0 to {num_layers - 1}")

    def target_rms(self, embedding_rms: float) -> float:
        return 1.0  # the norm matching sets the scale

    def forward(self, model: nn.Module, parts: ModelParts, ids: torch.Tensor, mask: torch.Tensor,
                vectors: torch.Tensor, **kwargs):
        with add_at_layer(parts.layers[self.options.layer], mask, vectors, self.options.coefficient):
            return model(input_ids=ids, **kwargs)


INJECTORS = {cls.mode: cls for cls in (ReplaceInjector, AddInjector)}


def make_injector(options) -> ReplaceInjector:
    """The injector for ``options`` (an InjectionOptions: ``mode``, ``layer``, ``coefficient``)."""
    return INJECTORS[options.mode](options)

"""What the projector is initialised from: the training activations' statistics and vectors (labels only for
the closed-form fit), or unlabelled text (the label-free fit). Read from the datamodule's training behaviours
and the built-in passages; never from a held-out behaviour."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import torch

from meta_lightning.data.source import ActivationSource


@dataclass(frozen=True)
class ProjectorInputs:
    source: ActivationSource
    """The activations read, with the training statistics that standardise them."""
    training_vectors: Callable[[], tuple[list[torch.Tensor], list[str]]]
    """Every training conversation's vectors and its class name (the closed-form fit reads these)."""
    text_pairs: Optional[Callable[[int, int], tuple[list[torch.Tensor], list[str]]]] = None
    """``(passages, window)`` -> the vectors ``[layers, d]`` at every position of unlabelled passages, and the
    text of the tokens around each position (the label-free fit reads these)."""


def projector_inputs(datamodule) -> ProjectorInputs:
    source = datamodule.activation_source().with_statistics(activation_statistics(datamodule))
    return ProjectorInputs(source, lambda: training_vectors(datamodule), lambda n, w: text_pairs(datamodule, n, w))


def one_per_behavior(datasets) -> list:
    """One data set per behaviour: a behaviour's Yes/No and free-text sets share their conversations."""
    seen: dict = {}
    for d in datasets:
        seen.setdefault(d.behavior, d)
    return list(seen.values())


def activation_statistics(datamodule) -> Optional[tuple[torch.Tensor, torch.Tensor]]:
    """Per-source-layer mean and std ``[layers, d]`` of the training behaviours' activations.

    From the train split when it is loaded, else from whatever split of the training behaviours is (an
    untrained baseline evaluated with ``test``); label-free, so no answer leaks into them.
    """
    for stage in ("train", "val", "test"):
        parts = one_per_behavior(d for d in datamodule.datasets.get(stage, []) if d.behavior in datamodule.behaviors)
        if parts:
            # Positions pooled: every conversation's [L, P, d] becomes P rows of [L, d].
            x = torch.cat([a.float().transpose(0, 1) for d in parts for a in d.activations])
            return x.mean(0), x.std(0) if x.shape[0] > 1 else torch.ones_like(x[0])
    return None


def training_vectors(datamodule) -> tuple[list[torch.Tensor], list[str]]:
    """Every training conversation's vectors ``[layers * positions, d]`` and its class name, loading the train
    split if the stage did not (an untrained model tested)."""
    parts = one_per_behavior(datamodule.training_datasets())
    vectors = [a.flatten(0, -2).float() for d in parts for a in d.activations]
    names = [d.class_names.get(c.label, c.label) for d in parts for c in d.conversations]
    return vectors, names


@torch.no_grad()
def text_pairs(datamodule, passages: int, window: int) -> tuple[list[torch.Tensor], list[str]]:
    """The input-model's vectors ``[layers, d]`` at every token of the first ``passages`` built-in passages (the
    context behaviour's train split: no labels, honesty-neutral), and the text of the tokens within ``window``
    of each position. Loads the input-model for it and releases it after."""
    from meta_lightning.behaviors import get_behavior
    from meta_lightning.capture import ActivationCapturer

    texts = [s.text for s in get_behavior("context").split_sources("train")][:passages]
    loaded = datamodule.loaded_input_model()
    layers = list(datamodule.activation_source().layers)
    ids = [loaded.tokenizer.encode(t, add_special_tokens=False) for t in texts]
    acts = ActivationCapturer(loaded, layers, "all", progress=False).capture(ids).activations
    vectors, windows = [], []
    for seq, a in zip(ids, acts):
        for t in range(len(seq)):
            vectors.append(a[:, t].float())
            windows.append(loaded.tokenizer.decode(seq[max(0, t - window): t + window + 1]))
    datamodule.input_model_handle().release()
    return vectors, windows

"""What the projector is initialised from: the training activations' statistics and vectors (labels only for
the closed-form fit). Read from the datamodule's training behaviours; never from a held-out one."""
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


def projector_inputs(datamodule) -> ProjectorInputs:
    source = datamodule.activation_source().with_statistics(activation_statistics(datamodule))
    return ProjectorInputs(source, lambda: training_vectors(datamodule))


def activation_statistics(datamodule) -> Optional[tuple[torch.Tensor, torch.Tensor]]:
    """Per-source-layer mean and std ``[layers, d]`` of the training behaviours' activations.

    From the train split when it is loaded, else from whatever split of the training behaviours is (an
    untrained baseline evaluated with ``test``); label-free, so no answer leaks into them.
    """
    for stage in ("train", "val", "test"):
        parts = [d for d in datamodule.datasets.get(stage, []) if d.name in datamodule.behaviors]
        if parts:
            # Positions pooled: every conversation's [L, P, d] becomes P rows of [L, d].
            x = torch.cat([a.float().transpose(0, 1) for d in parts for a in d.activations])
            return x.mean(0), x.std(0) if x.shape[0] > 1 else torch.ones_like(x[0])
    return None


def training_vectors(datamodule) -> tuple[list[torch.Tensor], list[str]]:
    """Every training conversation's vectors ``[layers * positions, d]`` and its class name, loading the train
    split if the stage did not (an untrained model tested)."""
    parts = datamodule.training_datasets()
    vectors = [a.flatten(0, -2).float() for d in parts for a in d.activations]
    names = [d.class_names.get(c.label, c.label) for d in parts for c in d.conversations]
    return vectors, names

"""Maps input-model activation vectors into the meta-model's hidden space."""
from __future__ import annotations

from typing import Literal, get_args

import torch
from torch import nn

from meta_lightning.errors import ConfigError

ProjectorKind = Literal["auto", "identity", "linear", "mlp"]
KINDS = get_args(ProjectorKind)


class Projector(nn.Module):
    """``identity``, ``linear`` or a 2-layer ``mlp`` from ``d_in`` to ``d_out``.

    With ``standardize``, each source layer's vectors first have that layer's training mean subtracted and are
    divided by its per-dimension std (buffers, set by :meth:`set_statistics` and saved with the checkpoint):
    residual streams are dominated by a shared mean direction and a few massive dimensions, and the part that
    differs between conversations is a few percent of the norm.
    With ``normalize``, every vector is then scaled to unit RMS and by a learned gain per source layer
    (initialised to ``target_rms``): hidden-state scales grow with depth, and the final layer's output is
    post-norm, so raw vectors from different layers differ by orders of magnitude.
    """

    def __init__(self, d_in: int, d_out: int, kind: str = "linear", num_source_layers: int = 1,
                 normalize: bool = False, target_rms: float = 1.0, mlp_hidden: int = 0, standardize: bool = False):
        super().__init__()
        if kind not in KINDS[1:]:
            raise ConfigError("model.projector.kind", f"unknown projector {kind!r}", f"Use one of: {', '.join(KINDS)}")
        if kind == "identity" and d_in != d_out:
            raise ConfigError("model.projector.kind", f"identity needs equal hidden sizes, but the input-model has {d_in} "
                              f"and the meta-model {d_out}", "Use projector.kind: linear or mlp")
        self.kind, self.normalize, self.num_source_layers = kind, normalize, num_source_layers
        if kind == "linear":
            self.net = nn.Linear(d_in, d_out)
        elif kind == "mlp":
            hidden = mlp_hidden or max(d_in, d_out)
            self.net = nn.Sequential(nn.Linear(d_in, hidden), nn.GELU(), nn.Linear(hidden, d_out))
        else:
            self.net = nn.Identity()
        self.gain = nn.Parameter(torch.full((num_source_layers,), float(target_rms))) if normalize else None
        self.standardize = standardize
        if standardize:
            self.register_buffer("mean", torch.zeros(num_source_layers, d_in))
            self.register_buffer("std", torch.ones(num_source_layers, d_in))

    def set_statistics(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        """Per-source-layer mean and std ``[num_source_layers, d_in]`` of the training activations."""
        if not self.standardize:
            return
        if mean.shape != self.mean.shape or std.shape != self.std.shape:
            raise ConfigError("model.projector.standardize", f"statistics of shape {tuple(mean.shape)} do not fit "
                              f"{tuple(self.mean.shape)} (source layers x input hidden size)",
                              "Compute them from the same capture layers and input-model")
        self.mean.copy_(mean)
        # A near-constant dimension would turn noise into a huge value: floor each std at 0.1 % of its layer's mean.
        self.std.copy_(torch.maximum(std, 1e-3 * std.mean(-1, keepdim=True)).clamp_min(1e-8))

    def forward(self, vectors: torch.Tensor, layer_index: torch.Tensor, noise: float = 0.0) -> torch.Tensor:
        """``vectors`` [N, d_in]; ``layer_index`` [N]: which source layer each vector came from; ``noise``: std of
        Gaussian noise added to the features (training-time augmentation)."""
        features = self.features(vectors, layer_index)
        if noise > 0:
            features = features + noise * torch.randn_like(features)
        return self.net(features)

    def features(self, vectors: torch.Tensor, layer_index: torch.Tensor) -> torch.Tensor:
        """What the linear map sees: the vectors standardised and normalised as configured."""
        if self.standardize:
            vectors = (vectors.float() - self.mean[layer_index]) / self.std[layer_index]
        if self.gain is not None:
            rms = vectors.float().pow(2).mean(-1, keepdim=True).clamp_min(1e-12).sqrt()
            vectors = (vectors / rms) * self.gain[layer_index].unsqueeze(-1)
        return vectors


def layer_indices(counts: list[int], num_source_layers: int, device=None) -> torch.Tensor:
    """Source layer of every vector when each example's vectors are flattened layer-major ([L, P, d] -> [L*P, d])."""
    parts = []
    for n in counts:
        per_layer = max(1, n // num_source_layers)
        parts.append(torch.arange(n, device=device) // per_layer)
    return torch.cat(parts).clamp_max(num_source_layers - 1) if parts else torch.zeros(0, dtype=torch.long)

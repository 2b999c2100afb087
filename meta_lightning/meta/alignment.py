"""Closed-form projector initialisation: each training vector is mapped onto the meta-model's own embedding of
its class name, by ridge regression, before any gradient step.

A linear probe finds the class in a few hundred conversations; learning the same map by backpropagating
through the whole meta-model takes thousands of steps (the class signal is a few percent of the vector's
norm). Solving it in closed form gives the meta-model a placeholder that already reads like a word it knows,
so training only has to teach it to read and compare words. It uses the training split's labels only.
"""
from __future__ import annotations

from typing import Sequence

import torch

from meta_lightning.errors import ConfigError
from meta_lightning.meta.projector import Projector


def name_embeddings(names: Sequence[str], tokenizer, embeddings: torch.Tensor) -> dict[str, torch.Tensor]:
    """Each distinct name's mean input embedding over its tokens (most class names are one token)."""
    out = {}
    for name in dict.fromkeys(names):
        ids = tokenizer.encode(name, add_special_tokens=False)
        if not ids:
            raise ConfigError("model.projector.init", f"the class name {name!r} encodes to no token",
                              "Use projector_init: random with this meta-model")
        out[name] = embeddings[ids].float().mean(0)
    return out


@torch.no_grad()
def fit_closed_form(projector: Projector, features_in: torch.Tensor, layer_index: torch.Tensor,
                    targets: torch.Tensor, ridge: float) -> float:
    """Set a linear projector to the ridge solution of ``projector(x) ~ target``; returns the fit's mean cosine.

    ``features_in`` [N, d_in] raw vectors, ``layer_index`` [N] their source layers, ``targets`` [N, d_out].
    ``ridge`` is relative to the features' own scale (a fraction of their mean variance per sample).
    """
    if projector.kind != "linear":
        raise ConfigError("model.projector.init", f"closed_form needs a linear projector, not {projector.kind!r}",
                          "Set model.projector.kind: linear, or model.projector.init: random")
    x = projector.features(features_in.float(), layer_index).double()
    t = targets.double()
    x_mean, t_mean = x.mean(0), t.mean(0)
    xc, tc = x - x_mean, t - t_mean
    scale = xc.pow(2).sum() / xc.shape[1]  # = N x mean variance per dimension
    gram = xc.T @ xc + ridge * scale * torch.eye(xc.shape[1], dtype=xc.dtype)
    weight = torch.linalg.solve(gram, xc.T @ tc)  # [d_in, d_out]
    net = projector.net
    net.weight.copy_(weight.T.to(net.weight.dtype))
    net.bias.copy_((t_mean - x_mean @ weight).to(net.bias.dtype))
    fitted = projector(features_in.float(), layer_index)
    return float(torch.nn.functional.cosine_similarity(fitted.double(), t, dim=-1).mean())

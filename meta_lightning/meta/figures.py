"""Matplotlib figures for TensorBoard (Agg backend: no display needed)."""
from __future__ import annotations

import torch


def confusion_figure(matrix: torch.Tensor, classes: tuple[str, str], title: str):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3.6, 3.2))
    ax.imshow(matrix.numpy(), cmap="Blues")
    for i in range(2):
        for j in range(2):
            ax.text(j, i, int(matrix[i, j]), ha="center", va="center")
    ax.set_xticks([0, 1], [f"said {c}" for c in classes])
    ax.set_yticks([0, 1], list(classes))
    ax.set_xlabel("meta-model's verdict")
    ax.set_ylabel("conversation")
    ax.set_title(title)
    fig.tight_layout()
    return fig

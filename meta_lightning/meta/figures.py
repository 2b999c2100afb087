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


def learning_curve_figure(losses: list[tuple[int, float]], validation: dict[str, list[tuple[int, float]]], title: str):
    """Training loss (left axis, log scale) and validation accuracy per dataset (right axis; token F1 for a
    free-text set) against the step."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    if losses:
        steps, values = zip(*losses)
        ax.plot(steps, values, color="0.6", lw=0.8, label="training loss")
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("training loss")
    acc = ax.twinx()
    for name, points in sorted(validation.items()):
        if points:
            xs, ys = zip(*points)
            acc.plot(xs, ys, marker="o", label=f"{name} val {'F1' if name.endswith(':text') else 'acc'}")
    acc.axhline(0.5, ls=":", color="k", lw=0.8)
    acc.set_ylim(0, 1)
    acc.set_ylabel("validation accuracy (free text: token F1)")
    lines = ax.get_legend_handles_labels()
    more = acc.get_legend_handles_labels()
    acc.legend(lines[0] + more[0], lines[1] + more[1], fontsize=7, loc="lower right")
    ax.set_title(title)
    fig.tight_layout()
    return fig

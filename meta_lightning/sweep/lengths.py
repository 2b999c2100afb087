"""Weights sweeps: exact match by program length, per cell, as a table and a figure. With a numeric grid
value in the cell names (``train_programs=4000``) the figure is the data-scaling curve: one line per program
length against that number."""
from __future__ import annotations

import re
import statistics
from typing import Optional


def _lengths(groups: list) -> list[str]:
    return sorted({n for g in groups for n in g.by_length}, key=int)


def _number(name: str) -> Optional[float]:
    """The number a cell is named by (``train_programs=4000`` -> 4000), or None."""
    match = re.fullmatch(r"[^=]+=(\d+(?:\.\d+)?)", name)
    return float(match.group(1)) if match else None


def length_table(groups: list, baseline: str) -> str:
    """Markdown: a row per cell (``report.Group``; not the ``baseline`` cell), exact match (mean over seeds) of
    the sampled test programs of each length, and on Tracr's library."""
    lengths = _lengths(groups)
    header = ["cell", "seeds"] + [f"{n} op{'s' if n != '1' else ''}" for n in lengths] + ["Tracr's library"]
    lines = ["Exact match by program length (sampled test programs):", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for g in groups:
        if g.name == baseline or not g.seeds:
            continue
        cells = [g.name, str(len(g.seeds))]
        cells += [f"{statistics.fmean(g.by_length[n]):.3f}" if g.by_length.get(n) else "–" for n in lengths]
        library = g.held_out.get("library", [])
        cells.append(f"{statistics.fmean(library):.3f}" if library else "–")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def length_figure(groups: list, baseline: str):
    """One line per program length (and one for Tracr's library) across the cells; x is the cells' number
    when every cell is named by one (log scale), else their order."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cells = [g for g in groups if g.name != baseline and g.seeds]
    numbers = [_number(g.name) for g in cells]
    numeric = all(n is not None for n in numbers) and len(cells) > 1
    xs = numbers if numeric else list(range(len(cells)))
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    series = [(f"{n} op{'s' if n != '1' else ''}", [g.by_length.get(n, []) for g in cells], "-") for n in _lengths(cells)]
    series.append(("Tracr's library", [g.held_out.get("library", []) for g in cells], "--"))
    for label, values, style in series:
        points = [(x, statistics.fmean(v)) for x, v in zip(xs, values) if v]
        if points:
            ax.plot(*zip(*points), style, marker="o", label=label)
    if numeric:
        ax.set_xscale("log")
        ax.set_xticks(xs)
        ax.set_xticklabels([f"{int(x):,}" for x in xs])
        ax.set_xlabel(cells[0].name.split("=")[0])
    else:
        ax.set_xticks(xs)
        ax.set_xticklabels([g.name for g in cells], fontsize=7, rotation=40, ha="right")
    ax.set_ylabel("exact match")
    ax.set_ylim(0, 1)
    ax.set_title("Exact match by program length")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig

"""Activation sweeps: every out-of-distribution measure per cell, with its 95 % interval, as a table and a
figure. That is the held-out behaviours (the lie sets: Yes/No accuracy; free text: how often answers about
each class mention lying) and the test sets of behaviours whose test classes are never trained (``Behavior.
test_held_out``: the instructions' held-out categories, Yes/No and token F1). The cells are in the sweep's
order, the untrained cell first: the diversity curve, the Activation Oracles scaling result."""
from __future__ import annotations

import math
import statistics
from typing import Optional

SHORT = {"accuracy": "acc", "token_f1": "F1", "exact_match": "exact"}
"""A metric -> its short name in columns (a summary's headline metric, or a free-text set's own)."""


def _test_held_out(name: str) -> bool:
    from meta_lightning.behaviors import REGISTRY

    behavior = REGISTRY.get(name.split(":")[0])
    return bool(behavior and behavior.test_held_out)


def ood_measures(datasets: dict, metric: str = "accuracy") -> dict[str, tuple[float, Optional[list]]]:
    """A summary's ``datasets`` -> {measure: (value, 95 % interval)} for every out-of-distribution set."""
    out: dict[str, tuple[float, Optional[list]]] = {}
    for name, entry in datasets.items():
        if not (entry.get("held_out") or _test_held_out(name)):
            continue
        m = entry.get("metric", metric)
        if m in entry and "mentions" not in entry:  # a lie set's free text is scored by its mentions, not its F1
            out[f"{name} {SHORT.get(m, m)}"] = (entry[m], entry.get(f"{m}_ci95"))
        for label, said in entry.get("mentions", {}).items():
            if label != "words":
                out[f"{name} mentions lying ({label})"] = (said["rate"], said.get("ci95"))
    return out


def _names(groups: list) -> list[str]:
    seen: dict[str, None] = {}
    for g in groups:
        seen.update(dict.fromkeys(g.ood))
    return list(seen)


def _cell(values: list[tuple[float, Optional[list]]]) -> str:
    """One seed: the value and its interval; several: their mean ± sd."""
    if not values:
        return "–"
    if len(values) == 1:
        value, ci = values[0]
        return f"{value:.3f}" + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")
    numbers = [v for v, _ in values]
    return f"{statistics.fmean(numbers):.3f} ± {statistics.stdev(numbers):.3f} ({len(numbers)} seeds)"


def ood_table(groups: list) -> str:
    """Markdown: a row per finished cell (``report.Group``), a column per out-of-distribution measure."""
    names = _names(groups)
    header = ["cell", "seeds"] + names
    lines = ["Out-of-distribution measures (95 % Wilson intervals with one seed):", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for g in groups:
        if g.seeds:
            lines.append("| " + " | ".join([g.name, str(len(g.seeds))] + [_cell(g.ood.get(n, [])) for n in names]) + " |")
    return "\n".join(lines) + "\n"


def ood_figure(groups: list):
    """One series per measure across the cells (their order; the untrained cell first), with intervals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cells = sorted([g for g in groups if g.seeds], key=lambda g: g.name != "untrained")
    fig, ax = plt.subplots(figsize=(max(6.4, 0.9 * len(cells) + 3), 4.6))
    names = _names(cells)
    for i, name in enumerate(names):
        shift = (i - (len(names) - 1) / 2) * 0.06
        points = [(x, statistics.fmean(v for v, _ in g.ood[name]), g.ood[name])
                  for x, g in enumerate(cells) if g.ood.get(name)]
        if not points:
            continue
        xs, ys, runs = zip(*points)
        low = [y - r[0][1][0] if len(r) == 1 and r[0][1] else 0.0 for y, r in zip(ys, runs)]
        high = [r[0][1][1] - y if len(r) == 1 and r[0][1] else 0.0 for y, r in zip(ys, runs)]
        bars = ax.errorbar([x + shift for x in xs], ys, yerr=[low, high], fmt="o", capsize=3, label=name)
        # The line joins neighbouring cells only: a gap (NaN) where a cell lacks the measure.
        line = dict(zip(xs, ys))
        ax.plot([x + shift for x in range(len(cells))], [line.get(x, math.nan) for x in range(len(cells))],
                color=bars[0].get_color())
    ax.axhline(0.5, color="grey", linestyle=":", linewidth=1, label="chance for Yes/No (0.50)")
    ax.set_xticks(range(len(cells)))
    ax.set_xticklabels([g.name for g in cells], fontsize=7, rotation=30, ha="right")
    ax.set_ylim(0, 1)
    ax.set_ylabel("held-out score")
    ax.set_title("Out-of-distribution measures by training mixture")
    ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    return fig

"""Collect a sweep's cell summaries into a table (CSV, Markdown) and the paper's figure (PNG)."""
from __future__ import annotations

import csv
import io
import json
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from meta_lightning.errors import ConfigError
from meta_lightning.paths import atomic_write_text
from meta_lightning.summary import read_summary, summary_state
from meta_lightning.sweep.ood import SHORT, ood_figure, ood_measures, ood_table

BASELINE = "untrained"


@dataclass
class Group:
    """One grid cell over its seeds."""

    name: str
    held_out: dict[str, list[float]] = field(default_factory=dict)
    """Held-out dataset -> accuracy (or the summary's ``metric``, e.g. exact match) of each finished seed."""
    trained: dict[str, list[float]] = field(default_factory=dict)
    """Training behaviour -> validation accuracy (test accuracy when no validation ran) of each seed."""
    baselines: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    """Baseline run inside each cell (probe, question_only, ...) -> held-out dataset -> accuracy of each seed."""
    seeds: list[int] = field(default_factory=list)
    pending: int = 0
    """Seeds without a complete summary yet (running, failed, not started, or unreadable)."""
    unreadable: list[str] = field(default_factory=list)
    """Of those, the summary.json files that exist but cannot be read (rerun their cells)."""
    metric: str = "accuracy"
    """What the numbers are: ``accuracy`` (activation runs) or ``exact_match`` (weight-reading runs)."""
    by_length: dict[str, list[float]] = field(default_factory=dict)
    """Weight-reading runs: program length -> exact match on the sampled test programs of each seed."""
    ood: dict[str, list[tuple]] = field(default_factory=dict)
    """Out-of-distribution measure -> (value, 95 % interval) of each seed (activation runs; see ``ood``)."""
    machines: list[str] = field(default_factory=list)
    """Where each finished seed ran ("device, precision"): cells of one sweep may finish on different machines."""

    @property
    def machine(self) -> str:
        """The distinct machines of its finished seeds, joined ("" before any finished)."""
        return "; ".join(sorted(set(self.machines)))


def _mean_sd(values: list[float]) -> tuple[float, float]:
    if not values:
        return float("nan"), float("nan")
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def collect(sweep_dir: Path) -> list[Group]:
    """Every cell under ``sweep_dir/cells``, grouped over seeds, in the order the sweep listed them."""
    cells_dir = Path(sweep_dir) / "cells"
    if not cells_dir.is_dir():
        raise ConfigError("SWEEP_DIR", f"{sweep_dir} has no cells/ folder", "Give the sweep's directory (sweep.directory)")
    groups: dict[str, Group] = {}
    entries = []
    for d in cells_dir.iterdir():
        try:
            cell = json.loads((d / "cell.json").read_text())
        except (OSError, ValueError):
            continue  # not a cell of ours (or a cell whose arguments were never written)
        entries.append((d, cell))
    order = _listed_order(Path(sweep_dir))
    entries.sort(key=lambda e: (order.get(e[1]["name"], len(order)), e[1]["name"]))
    for d, cell in entries:
        g = groups.setdefault(cell["group"], Group(cell["group"]))
        path = d / "summary.json"
        state = summary_state(path)
        if state != "complete":  # running, failed, killed during its baselines, or unreadable
            g.pending += 1
            if state == "unreadable":
                g.unreadable.append(str(path))
            continue
        summary = read_summary(path)
        g.seeds.append(cell["seed"])
        g.machines.append(machine_label(summary.details.get("machine")))
        g.metric = metric = summary.metric
        for name, entry in summary.datasets.items():  # a free-text set's entry names its own metric (token F1)
            if entry["held_out"]:
                g.held_out.setdefault(name, []).append(entry[entry.get("metric", metric)])
            else:
                g.trained.setdefault(name, []).append(summary.validation.get(name, entry[entry.get("metric", metric)]))
        for measure, value in ood_measures(summary.datasets, metric).items():
            g.ood.setdefault(measure, []).append(value)
        for length, entry in summary.datasets.get("test", {}).get("by_length", {}).items():
            g.by_length.setdefault(length, []).append(entry["exact_match"])
        for baseline, datasets in summary.baselines.items():
            for name, entry in datasets.items():
                if entry["held_out"]:
                    g.baselines.setdefault(baseline, {}).setdefault(name, []).append(entry[entry.get("metric", metric)])
    return list(groups.values())


def machine_label(machine: Optional[dict]) -> str:
    """A summary's ``machine`` as "device, precision" ("unrecorded" for summaries written before it was kept)."""
    if not isinstance(machine, dict):
        return "unrecorded"
    return f"{machine.get('device', '?')}, {machine.get('precision', '?')}"


def baseline_columns(groups: list[Group]) -> list[tuple[str, str]]:
    """(baseline, held-out dataset) pairs found in any cell, in a stable order."""
    return sorted({(b, n) for g in groups for b, per in g.baselines.items() for n in per})


def _listed_order(sweep_dir: Path) -> dict[str, int]:
    try:
        names = json.loads((sweep_dir / "cells.json").read_text())
    except (OSError, ValueError):
        return {}
    return {n: i for i, n in enumerate(names)}


def columns(groups: list[Group]) -> tuple[list[str], list[str]]:
    held = sorted({n for g in groups for n in g.held_out})
    trained = sorted({n for g in groups for n in g.trained})
    return held, trained


def _short(groups: list[Group]) -> str:
    metric = next((g.metric for g in groups if g.seeds), "accuracy")
    return SHORT.get(metric, metric)


def rows(groups: list[Group]) -> tuple[list[str], list[list]]:
    held, trained = columns(groups)
    m = _short(groups)
    header = ["cell", "seeds", "pending"]
    for n in held:
        header += [f"{n}_{m}_mean", f"{n}_{m}_sd", f"{n}_{m}_min", f"{n}_{m}_max"]
    header += [f"{n}_val_{m}" for n in trained]
    pairs = baseline_columns(groups)
    header += [f"{n}_{b}_{m}_mean" for b, n in pairs] + ["machine"]
    out = []
    for g in groups:
        row = [g.name, len(g.seeds), g.pending]
        for n in held:
            values = g.held_out.get(n, [])
            mean, sd = _mean_sd(values)
            row += [mean, sd, min(values, default=float("nan")), max(values, default=float("nan"))]
        row += [_mean_sd(g.trained.get(n, []))[0] for n in trained]
        row += [_mean_sd(g.baselines.get(b, {}).get(n, []))[0] for b, n in pairs] + [g.machine]
        out.append(row)
    return header, out


def to_csv(groups: list[Group]) -> str:
    header, body = rows(groups)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows([[f"{v:.4f}" if isinstance(v, float) else v for v in r] for r in body])
    return buf.getvalue()


def _fmt(v: float) -> str:
    return "–" if v != v else f"{v:.3f}"


def to_markdown(groups: list[Group]) -> str:
    held, trained = columns(groups)
    pairs = baseline_columns(groups)
    m = _short(groups)
    header = (["cell", "seeds"] + [f"{n} {m} (mean ± sd)" for n in held] + [f"{n} val {m}" for n in trained]
              + [f"{n}: {b}" for b, n in pairs] + ["machine"])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for g in groups:
        seeds = f"{len(g.seeds)}" + (f" (+{g.pending} pending)" if g.pending else "") + (
            f" ({len(g.unreadable)} unreadable summary: rerun)" if g.unreadable else "")
        cells = [g.name, seeds]
        for n in held:
            mean, sd = _mean_sd(g.held_out.get(n, []))
            cells.append("–" if mean != mean else f"{mean:.3f} ± {sd:.3f}")
        cells += [_fmt(_mean_sd(g.trained.get(n, []))[0]) for n in trained]
        cells += [_fmt(_mean_sd(g.baselines.get(b, {}).get(n, []))[0]) for b, n in pairs]
        cells.append(g.machine or "–")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def figure(groups: list[Group], held_out: Optional[str] = None, chance: Optional[float] = 0.5):
    """Held-out accuracy (or exact match) per cell: each seed a point, the mean a bar; the untrained,
    question-only and random-weights baselines, and chance for Yes/No accuracy, as lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    held, _ = columns(groups)
    name = held_out or (held[0] if held else "lies")
    cells = [g for g in groups if g.name != BASELINE]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.55 * len(cells) + 2), 4.2))
    for x, g in enumerate(cells):
        values = g.held_out.get(name, [])
        offsets = [(i - (len(values) - 1) / 2) * 0.08 for i in range(len(values))]
        ax.scatter([x + o for o in offsets], values, s=18, color="tab:blue", alpha=0.7, zorder=3)
        if values:
            ax.hlines(statistics.fmean(values), x - 0.3, x + 0.3, color="black", linewidth=2, zorder=4)
    metric = next((g.metric for g in groups if g.seeds), "accuracy")
    if chance is not None and metric == "accuracy":
        ax.axhline(chance, color="grey", linestyle=":", label=f"chance ({chance:.2f})")
    base = next((g.held_out.get(name, []) for g in groups if g.name == BASELINE), [])
    if base:
        ax.axhline(statistics.fmean(base), color="tab:red", linestyle="--", label="untrained meta-model")
    for baseline, color, label in (("question_only", "tab:orange", "question-only meta-model"),
                                   ("random", "tab:purple", "same model on random weights")):
        values = [v for g in cells for v in g.baselines.get(baseline, {}).get(name, [])]
        if values:
            ax.axhline(statistics.fmean(values), color=color, linestyle="-.", label=label)
    ax.set_xticks(range(len(cells)))
    ax.set_xticklabels([g.name for g in cells], fontsize=7, rotation=40, ha="right")
    ax.set_ylabel(f"{name} {metric.replace('_', ' ')} (held out)")
    ax.set_ylim(0, 1)
    ax.set_title(f"Out-of-distribution {name} detection by training combination" if metric == "accuracy"
                 else f"{name}: {metric.replace('_', ' ')} by cell")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def write_report(sweep_dir: Path) -> dict[str, Path]:
    """report.csv, report.md and report.png in the sweep directory; returns their paths."""
    groups = collect(sweep_dir)
    unreadable = [p for g in groups for p in g.unreadable]
    if not any(g.seeds for g in groups) and unreadable:
        raise ConfigError("SWEEP_DIR", f"no finished cell to report: {len(unreadable)} summary.json cannot be read "
                          f"(e.g. {unreadable[0]})", "Run the sweep again: it reruns the cells without a readable summary")
    if not any(g.seeds for g in groups):
        raise ConfigError("SWEEP_DIR", f"no finished cell under {sweep_dir}/cells yet", "Wait for a cell to finish")
    sweep_dir = Path(sweep_dir)
    paths = {"csv": sweep_dir / "report.csv", "md": sweep_dir / "report.md", "png": sweep_dir / "report.png"}
    from meta_lightning.sweep.lengths import length_figure, length_table

    figures = {"png": figure(groups)}
    markdown = to_markdown(groups)
    if any(g.by_length for g in groups):  # a weights sweep: exact match by program length, per cell
        paths["lengths_png"] = sweep_dir / "report_lengths.png"
        figures["lengths_png"] = length_figure(groups, BASELINE)
        markdown += "\n" + length_table(groups, BASELINE)
    elif any(g.ood for g in groups):  # an activation sweep: every out-of-distribution measure, with intervals
        paths["ood_png"] = sweep_dir / "report_ood.png"
        figures["ood_png"] = ood_figure(groups)
        markdown += "\n" + ood_table(groups)
    atomic_write_text(paths["csv"], to_csv(groups))
    atomic_write_text(paths["md"], markdown)
    for key, fig in figures.items():
        tmp = paths[key].with_name(f".{paths[key].name}.tmp")
        fig.savefig(tmp, format="png", dpi=120)
        tmp.replace(paths[key])
    return paths

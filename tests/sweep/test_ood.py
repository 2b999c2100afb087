"""Activation sweeps: the out-of-distribution measures per cell, with their intervals, as a table and a figure."""
import json
import math

import pytest

from meta_lightning.sweep.ood import ood_figure, ood_measures, ood_table
from meta_lightning.sweep.report import Group, write_report

MENTIONS = {"words": ["lie"], "lying": {"rate": 0.25, "ci95": [0.2, 0.3], "n": 309},
            "truthful": {"rate": 0.0, "ci95": [0.0, 0.01], "n": 309}}
DATASETS = {
    "lies": {"accuracy": 0.6, "accuracy_ci95": [0.55, 0.65], "held_out": True},
    "lies:text": {"metric": "token_f1", "token_f1": 0.0, "held_out": True, "mentions": MENTIONS},
    "instructions": {"accuracy": 0.75, "accuracy_ci95": [0.7, 0.8], "held_out": False},  # held-out categories
    "instructions:text": {"metric": "token_f1", "token_f1": 0.4, "token_f1_ci95": [0.3, 0.5], "held_out": False},
    "sentiment": {"accuracy": 1.0, "accuracy_ci95": [0.97, 1.0], "held_out": False},  # trained classes: not OOD
    "context:text": {"metric": "token_f1", "token_f1": 0.2, "held_out": False},
}


def test_measures_are_the_held_out_sets_and_the_never_trained_test_classes_with_intervals():
    assert ood_measures(DATASETS) == {
        "lies acc": (0.6, [0.55, 0.65]), "lies:text mentions lying (lying)": (0.25, [0.2, 0.3]),
        "lies:text mentions lying (truthful)": (0.0, [0.0, 0.01]), "instructions acc": (0.75, [0.7, 0.8]),
        "instructions:text F1": (0.4, [0.3, 0.5])}


def _groups():
    one = Group("all", seeds=[0], ood={"lies acc": [(0.6, [0.55, 0.65])], "instructions acc": [(0.75, [0.7, 0.8])]})
    two = Group("classification", seeds=[0, 1], ood={"lies acc": [(0.5, [0.4, 0.6]), (0.6, [0.5, 0.7])]})
    return [two, one, Group("untrained", seeds=[0], ood={"lies acc": [(0.5, [0.45, 0.55])],
                                                      "instructions acc": [(0.5, [0.4, 0.6])]}), Group("pending", pending=1)]


def test_the_table_gives_one_seed_with_its_interval_and_several_as_mean_and_sd():
    table = ood_table(_groups())
    assert "| cell | seeds | lies acc | instructions acc |" in table
    assert "| all | 1 | 0.600 [0.550, 0.650] | 0.750 [0.700, 0.800] |" in table
    assert "| classification | 2 | 0.550 ± 0.071 (2 seeds) | – |" in table
    assert "pending" not in table


def test_the_figure_puts_the_untrained_cell_first_with_each_interval():
    ax = ood_figure(_groups()).axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["untrained", "classification", "all"]
    lies = next(c for c in ax.containers if c.get_label() == "lies acc")
    assert list(lies.lines[0].get_ydata()) == pytest.approx([0.5, 0.55, 0.6])
    bars = lies.lines[2][0].get_segments()
    assert [tuple(s[:, 1]) for s in bars][0] == pytest.approx((0.45, 0.55))  # one seed: its own interval
    assert [tuple(s[:, 1]) for s in bars][1] == pytest.approx((0.55, 0.55))  # two seeds: no interval drawn


def test_a_measure_missing_from_a_cell_breaks_its_line_there():
    ax = ood_figure(_groups()).axes[0]
    lines = [list(line.get_ydata()) for line in ax.lines if len(line.get_ydata()) == 3]
    assert [0.5, 0.55, 0.6] in lines  # lies: in every cell, one unbroken line
    instructions = next(y for y in lines if y[0] == 0.5 and y[2] == 0.75)
    assert math.isnan(instructions[1])  # classification lacks it: no line drawn across that cell


def test_an_activation_sweeps_report_adds_the_table_and_figure(tmp_path):
    cell = tmp_path / "cells" / "all__seed0"
    cell.mkdir(parents=True)
    (cell / "cell.json").write_text(json.dumps({"name": "all__seed0", "group": "all", "seed": 0}))
    (cell / "summary.json").write_text(json.dumps({"datasets": DATASETS, "baselines": {}, "validation": {}}))
    paths = write_report(tmp_path)
    assert paths["ood_png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "| all | 1 | 0.600 [0.550, 0.650] | 0.250 [0.200, 0.300] | 0.000 [0.000, 0.010] |" in paths["md"].read_text()

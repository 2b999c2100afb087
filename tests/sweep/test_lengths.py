"""Weights sweeps: exact match by program length per cell, the data-scaling table and figure."""
import pytest

from meta_lightning.sweep.lengths import length_figure, length_table
from meta_lightning.sweep.report import Group


def _groups():
    small = Group("train_programs=2000", held_out={"library": [0.2]}, seeds=[0], metric="exact_match",
                  by_length={"2": [0.5], "3": [0.25]})
    large = Group("train_programs=8000", held_out={"library": [0.4, 0.6]}, seeds=[0, 1], metric="exact_match",
                  by_length={"2": [0.8, 0.9], "3": [0.5, 0.6], "4": [0.2, 0.3]})
    return [small, large, Group("untrained", seeds=[0])]


def test_the_table_has_a_column_per_length_and_the_library_and_means_over_seeds():
    table = length_table(_groups(), "untrained")
    assert "| cell | seeds | 2 ops | 3 ops | 4 ops | Tracr's library |" in table
    assert "| train_programs=2000 | 1 | 0.500 | 0.250 | – | 0.200 |" in table
    assert "| train_programs=8000 | 2 | 0.850 | 0.550 | 0.250 | 0.500 |" in table
    assert "untrained" not in table


def test_numbered_cells_give_the_scaling_curve_on_a_log_axis():
    ax = length_figure(_groups(), "untrained").axes[0]
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "train_programs"
    lines = {line.get_label(): (list(line.get_xdata()), list(line.get_ydata())) for line in ax.get_lines()}
    assert lines["2 ops"] == ([2000.0, 8000.0], pytest.approx([0.5, 0.85]))
    assert lines["4 ops"] == ([8000.0], [0.25])
    assert lines["Tracr's library"] == ([2000.0, 8000.0], [0.2, 0.5])

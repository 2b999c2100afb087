"""Sweeps: a grid of ordinary runs sharing one activation cache, run locally or on SLURM, and their report."""
from meta_lightning.sweep.grid import Cell, SlurmSettings, SweepSettings, expand, load_sweep, subsets

__all__ = ["Cell", "SlurmSettings", "SweepSettings", "expand", "load_sweep", "subsets"]

"""A sweep file: which configs every cell starts from, and the grid of overrides that makes the cells."""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from meta_lightning.errors import ConfigError


@dataclass
class SlurmSettings:
    """Where and how long each cell runs on a SLURM cluster (through submitit, one array task per cell)."""

    partition: Optional[str] = None
    """SLURM partition (``--partition``)."""
    time_min: int = 120
    """Wall-clock limit of one cell in minutes; a cell past it is requeued and resumes from its last checkpoint."""
    gpus_per_task: int = 1
    """GPUs per cell; Lightning runs DDP over them, one srun task per GPU."""
    cpus_per_task: int = 8
    """CPU cores per srun task (DataLoader workers, tokenisation)."""
    mem_gb: int = 64
    """Host memory per node."""
    array_parallelism: int = 16
    """At most this many cells run at once."""
    additional: dict[str, Any] = field(default_factory=dict)
    """Extra sbatch options passed as they are, e.g. ``{account: myproj, qos: high}``."""


@dataclass
class SweepSettings:
    """A grid of ordinary LightningCLI runs that share one activation cache."""

    configs: list[str] = field(default_factory=list)
    """Experiment YAMLs every cell starts from, in order (paths relative to the sweep file)."""
    grid: dict[str, Any] = field(default_factory=dict)
    """Config key (dotted) -> list of values. ``{subsets: [a, b, c]}`` stands for every non-empty subset. A key
    without a dot whose values are mappings is a bundle: each value sets several keys at once (``name`` labels it)."""
    seeds: list[int] = field(default_factory=lambda: [0])
    """Each cell runs once per seed. A seed sets ``seed_everything`` (model initialisation) and
    ``data.sampling_seed`` (batch order); the conversations stay fixed, so every seed reads the same cache."""
    overrides: dict[str, Any] = field(default_factory=dict)
    """Dotted config keys set in every cell, e.g. ``{trainer.max_steps: 400}``."""
    baseline: bool = True
    """Also test an untrained meta-model once per seed: the reference line of the report's figure."""
    directory: str = "runs/sweep"
    """Sweep directory (relative to the working directory): cells/<cell>/ holds each run."""
    executor: str = "local"
    """``local`` (this machine) or ``slurm`` (submitit job array)."""
    gpus: str = "auto"
    """Local executor: ``auto`` runs one cell per visible GPU in parallel (sequential on CPU); a number caps it."""
    isolate: bool = True
    """Local executor: each cell in its own process, so a crash or leak stays in its cell. ``false`` runs the
    cells one after another in the sweep's process (saves a few seconds of imports per cell; for tiny models)."""
    slurm: SlurmSettings = field(default_factory=SlurmSettings)
    """SLURM executor settings."""


EXECUTORS = ("local", "slurm")


@dataclass
class Cell:
    """One run of the grid."""

    name: str
    group: str
    """The cell's name without its seed: the report aggregates seeds over it."""
    seed: int
    overrides: dict[str, Any]
    command: str = "fit"
    """``fit`` (then test) for grid cells; ``test`` for the untrained baseline."""


def subsets(items: list) -> list[list]:
    """Every non-empty subset, smallest first, each in the given order."""
    return [list(c) for r in range(1, len(items) + 1) for c in itertools.combinations(items, r)]


def _label(key: str, value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("name", "-".join(_label(k, v) for k, v in value.items())))
    if isinstance(value, (list, tuple)):
        return "+".join(str(v) for v in value)
    return f"{key.rsplit('.', 1)[-1]}={value}"


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+=-]+", "-", name).strip("-") or "cell"


def _axis(key: str, values: Any) -> list:
    if isinstance(values, dict) and set(values) == {"subsets"}:
        values = subsets(list(values["subsets"] or []))
    if not isinstance(values, list):
        raise ConfigError(f"sweep.grid.{key}", f"expected a list of values or {{subsets: [...]}}, got {values!r}",
                          "Write the values as a YAML list")
    if "." not in key and not all(isinstance(v, dict) for v in values):
        raise ConfigError(f"sweep.grid.{key}", "a key without a dot must be a bundle (a list of mappings)",
                          "Use a dotted config key such as data.behaviors, or give mappings of dotted keys")
    return values


def expand(settings: SweepSettings) -> list[Cell]:
    """The cells of the grid, in a stable order; the baseline cells (one per seed) come first."""
    if settings.executor not in EXECUTORS:
        raise ConfigError("sweep.executor", f"unknown executor {settings.executor!r}", f"Use one of: {', '.join(EXECUTORS)}")
    if not settings.seeds:
        raise ConfigError("sweep.seeds", "no seeds given", "List at least one seed, e.g. seeds: [0]")
    axes = [(key, _axis(key, values)) for key, values in settings.grid.items()]
    combos = list(itertools.product(*[values for _, values in axes]))
    if not combos or any(not values for _, values in axes):
        empty = [key for key, values in axes if not values]
        raise ConfigError(f"sweep.grid.{empty[0]}" if empty else "sweep.grid", "the grid expands to zero cells",
                          "Give every grid key at least one value")
    cells = []
    for seed in settings.seeds:
        seeded = {**settings.overrides, "seed_everything": seed, "data.sampling_seed": seed}
        if settings.baseline:
            cells.append(Cell(f"untrained__seed{seed}", "untrained", seed, dict(seeded), "test"))
        for combo in combos:
            overrides, labels = dict(seeded), []
            for (key, _), value in zip(axes, combo):
                if "." in key:
                    overrides[key] = value
                else:
                    overrides.update({k: v for k, v in value.items() if k != "name"})
                labels.append(_label(key, value))
            group = _safe("__".join(labels)) if labels else "base"
            cells.append(Cell(f"{group}__seed{seed}", group, seed, overrides))
    names = [c.name for c in cells]
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise ConfigError("sweep.grid", f"two cells are both named {dup!r}", "Give bundle values distinct `name`s")
    return cells


def nest(overrides: dict[str, Any]) -> dict:
    """``{"a.b": 1}`` -> ``{"a": {"b": 1}}``: the YAML a cell's ``--config`` adds."""
    out: dict = {}
    for key, value in overrides.items():
        node = out
        *parents, leaf = key.split(".")
        for p in parents:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise ConfigError(f"sweep.overrides.{key}", f"{p} is set both as a value and as a section",
                                  "Set either the section's keys or the whole value")
        node[leaf] = value
    return out


def load_sweep(path: str | Path) -> tuple[SweepSettings, Path]:
    """Read a sweep YAML (its ``sweep:`` section); config paths become absolute."""
    from jsonargparse import ArgumentParser

    from meta_lightning.configs import parser_error, read_yaml

    path = Path(path)
    data = read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("sweep"), dict):
        raise ConfigError("sweep", f"{path} has no `sweep:` section", "See experiments/ablation.yaml for the format")
    parser = ArgumentParser(exit_on_error=False)
    parser.add_class_arguments(SweepSettings, "sweep")
    try:
        cfg = parser.parse_object({"sweep": data["sweep"]})
    except Exception as e:  # jsonargparse names the key on its first line and the reason below it
        field, reason = parser_error(e, "sweep")
        raise ConfigError(field, reason, "Fix the key (see `sweep --help`)") from None
    instantiate = getattr(parser, "instantiate", None) or parser.instantiate_classes  # renamed in jsonargparse 4.49
    settings = instantiate(cfg).sweep
    settings.configs = [str((path.parent / c).resolve()) for c in settings.configs]
    for c in settings.configs:
        if not Path(c).is_file():
            raise ConfigError("sweep.configs", f"{c} does not exist", "Give paths relative to the sweep file")
    return settings, path

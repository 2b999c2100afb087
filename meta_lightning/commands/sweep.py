"""`python -m meta_lightning sweep --config experiments/ablation.yaml`: run (or list) a grid of cells."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from meta_lightning.paths import atomic_write_text


def _fields_help() -> str:
    from jsonargparse import ArgumentParser

    from meta_lightning.sweep import SweepSettings

    parser = ArgumentParser(prog="sweep file")
    parser.add_class_arguments(SweepSettings, "sweep")
    return "The sweep file's `sweep:` section (see experiments/ablation.yaml):\n" + parser.format_help().split("\n", 2)[-1]


def check_cells(settings, cells) -> None:
    """Parse every distinct cell's config as its run would (types, keys, choices), instantiating nothing: a bad
    grid value then fails here, in one line naming the cell, not once per cell after the cache is filled."""
    import contextlib
    import io

    import yaml

    from meta_lightning.commands import config_kind
    from meta_lightning.configs import expand_extends
    from meta_lightning.errors import ConfigError
    from meta_lightning.sweep.grid import nest

    base = [a for config in settings.configs for a in ("--config", config)]
    activations = config_kind(["fit", *base]) != "weights"
    if not activations:
        from meta_lightning.commands.weights import WeightsCLI as CLI
    else:
        from meta_lightning.commands.lightning import MetaCLI as CLI

    class ParseOnly(CLI):
        def instantiate_classes(self) -> None:
            pass

        def after_instantiate_classes(self) -> None:
            pass

    parser = ParseOnly(args=[], run=False).parser  # built once (seconds); each cell then parses in milliseconds
    seen, counts = set(), {}
    for cell in cells:
        overrides = yaml.safe_dump(nest(cell.overrides), sort_keys=False)
        if overrides in seen:
            continue
        seen.add(overrides)
        try:
            with contextlib.redirect_stderr(io.StringIO()):  # the error is reported below, naming the cell
                config = parser.parse_args(expand_extends(base) + ["--config", overrides])
        except SystemExit:
            raise ConfigError(f"sweep.grid (cell {cell.name})", parser.last_error or "the config does not parse",
                              "Fix that grid value or key; no cell has run") from None
        if activations:
            try:
                _check_layers(config, counts)
            except ConfigError as e:
                raise ConfigError(f"sweep.grid (cell {cell.name})", f"{e.field}: {e.problem}", e.fix) from None


def _check_layers(config, counts: dict) -> None:
    """The cell's capture layers and injection layer against its models' configs (no weights read; each
    model's block count is read once into ``counts``)."""
    from meta_lightning.capture import resolve_layers
    from meta_lightning.checkpoints import plain
    from meta_lightning.meta.inject import make_injector
    from meta_lightning.meta.options import as_group
    from meta_lightning.models import ModelSpec
    from meta_lightning.models.load import config_layer_count

    def layer_count(value, field: str):
        model = ModelSpec(**plain(value))
        key = repr(model)
        if key not in counts:
            counts[key] = config_layer_count(model, field)
        return counts[key]

    from meta_lightning.data.same_model import SAME

    inp = config["data"]["input_model"]  # same: the meta-model's own blocks
    count = layer_count(config["model"]["meta_model"] if inp == SAME else inp, "data.input_model")
    if count is not None:
        resolve_layers(config["data"]["capture"]["layers"], count, "data.capture.layers")
    count = layer_count(config["model"]["meta_model"], "model.meta_model")
    if count is not None:
        make_injector(as_group("injection", plain(config["model"]["injection"]))).check_layers(count)


def _chosen(names: list[str], cells) -> set[str]:
    """``--cells``: each must name a cell or a cell's group (its name without the seed)."""
    from meta_lightning.errors import ConfigError

    unknown = [n for n in names if n not in {c.name for c in cells} | {c.group for c in cells}]
    if unknown:
        raise ConfigError("--cells", f"no cell is called {unknown[0]!r}", f"Use any of: {', '.join(c.name for c in cells)}")
    return set(names)


def sweep_command(argv: list[str]) -> None:
    from meta_lightning.commands import run_cli
    from meta_lightning.sweep import expand, load_sweep
    from meta_lightning.sweep.run import run_local, status

    if "--help" in argv or "-h" in argv:
        print(_fields_help())
    parser = argparse.ArgumentParser(prog="python -m meta_lightning sweep",
                                     description="Run every cell of a grid; finished cells are skipped.")
    parser.add_argument("--config", required=True, help="sweep YAML with a `sweep:` section")
    parser.add_argument("--dry-run", "--dry_run", dest="dry_run", action="store_true", help="list the cells and stop")
    parser.add_argument("--directory", help="sweep directory (default: sweep.directory)")
    parser.add_argument("--executor", choices=["local", "slurm"], help="override sweep.executor")
    parser.add_argument("--retry-failed", "--retry_failed", dest="retry_failed", action="store_true",
                        help="run failed cells again (by default they are reported and skipped)")
    parser.add_argument("--cells", nargs="+", metavar="NAME",
                        help="run only these cells (a cell's name, e.g. all__seed0, or its name without the seed)")
    args = parser.parse_args(argv)
    settings, _ = load_sweep(args.config)
    if args.directory:
        settings.directory = args.directory
    if args.executor:
        settings.executor = args.executor
    cells = expand(settings)
    check_cells(settings, cells)
    sweep_dir = Path(settings.directory)
    states = {c.name: status(sweep_dir, c) for c in cells}
    width = max(len(c.name) for c in cells)
    for c in cells:
        print(f"{c.name:<{width}}  {c.command:<4}  {states[c.name]}")
    todo = [c for c in cells if states[c.name] in ("pending", "partial") or (args.retry_failed and states[c.name] == "failed")]
    if args.cells:  # checked even when nothing is left to run, so a typo never passes silently
        chosen = _chosen(args.cells, cells)
        todo = [c for c in todo if c.name in chosen or c.group in chosen]
    print(f"sweep: {len(cells)} cells, {sum(s == 'done' for s in states.values())} done, {len(todo)} to run, "
          f"directory {sweep_dir}")
    if args.dry_run or not todo:
        return
    sweep_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(sweep_dir / "cells.json", json.dumps([c.name for c in cells], indent=1))
    if settings.executor == "slurm":
        from meta_lightning.sweep.slurm import run_slurm

        run_slurm(settings, sweep_dir, todo, run_cli)
        print(f"sweep: submitted; `python -m meta_lightning report {sweep_dir}` works while it runs")
        return
    final = run_local(settings, sweep_dir, todo, run_cli)
    failed = [n for n, s in final.items() if s != "done"]
    print(f"sweep: {len(todo) - len(failed)} of {len(todo)} cells finished; report: python -m meta_lightning report {sweep_dir}")
    if failed:
        print(f"sweep: failed: {', '.join(failed)} (see cells/<cell>/failed.json and output.log)", file=sys.stderr)
        sys.exit(1)

"""Running a sweep's cells: each is an ordinary `python -m meta_lightning fit|test` run in its own directory.

A cell is finished when its ``summary.json`` exists (written atomically after its test); finished cells are
skipped, an interrupted fit resumes from its ``last.ckpt``, and a failed cell leaves ``failed.json`` and does
not stop the others. The activation cache is filled once, before any cell, for the union of the cells' data.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Optional

import yaml

from meta_lightning.paths import atomic_write_text
from meta_lightning.summary import summary_state
from meta_lightning.sweep.grid import Cell, SweepSettings, nest

SAMPLING_KEYS = ("data.behaviors", "data.sampling_seed")
Runner = Callable[[list[str]], int]
"""Runs one command line in this process and returns its exit code (the commands layer hands it down)."""


def cell_dir(sweep_dir: Path, cell: Cell) -> Path:
    return Path(sweep_dir) / "cells" / cell.name


def status(sweep_dir: Path, cell: Cell) -> str:
    d = cell_dir(sweep_dir, cell)
    state = summary_state(d / "summary.json")
    if state == "complete":
        return "done"
    if state == "unreadable" or (d / "failed.json").is_file():
        return "failed"
    return "partial" if (d / "checkpoints" / "last.ckpt").is_file() else "pending"


def cell_arguments(settings: SweepSettings, sweep_dir: Path, cell: Cell) -> list[str]:
    """The CLI arguments of one cell; writes its ``cell.yaml`` (the overrides) and ``cell.json`` (for reports)."""
    d = cell_dir(sweep_dir, cell)
    d.mkdir(parents=True, exist_ok=True)
    logger = {"class_path": "lightning.pytorch.loggers.TensorBoardLogger",
              "init_args": {"save_dir": str(Path(sweep_dir).resolve()), "name": "cells", "version": cell.name,
                            "default_hp_metric": False}}
    overrides = nest({**cell.overrides, "trainer.logger": logger})
    atomic_write_text(d / "cell.yaml", yaml.safe_dump(overrides, sort_keys=False))
    atomic_write_text(d / "cell.json", json.dumps(asdict(cell), indent=2))
    args = [cell.command]
    for config in settings.configs:
        args += ["--config", config]
    args += ["--config", str(d / "cell.yaml")]
    last = d / "checkpoints" / "last.ckpt"
    if cell.command == "fit" and last.is_file():
        args += ["--ckpt_path", str(last)]
    return args


def cache_arguments(settings: SweepSettings, sweep_dir: Path, cells: list[Cell]) -> list[list[str]]:
    """One ``cache`` command per distinct data set-up, for the union of its cells' behaviours."""
    groups: dict[str, dict] = {}
    for cell in cells:
        data = {k: v for k, v in cell.overrides.items() if k.startswith("data.") and k not in SAMPLING_KEYS}
        key = json.dumps(data, sort_keys=True, default=str)
        entry = groups.setdefault(key, {"overrides": data, "behaviors": []})
        for b in cell.overrides.get("data.behaviors") or []:
            if b not in entry["behaviors"]:
                entry["behaviors"].append(b)
    out = []
    for i, entry in enumerate(groups.values()):
        overrides = dict(entry["overrides"])
        if entry["behaviors"]:
            overrides["data.behaviors"] = entry["behaviors"]
        path = Path(sweep_dir) / "prepare" / f"data{i}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, yaml.safe_dump(nest(overrides), sort_keys=False))
        args = ["cache"]
        for config in settings.configs:
            args += ["--config", config]
        out.append(args + ["--config", str(path)])
    return out


def _command(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "meta_lightning", *args]


def record_outcome(d: Path, returncode: int, log: Optional[Path]) -> None:
    failed = d / "failed.json"
    state = summary_state(d / "summary.json")
    if returncode == 0 and state == "complete":
        failed.unlink(missing_ok=True)
        return
    tail = log.read_text(errors="replace").strip().splitlines()[-5:] if log and log.is_file() else []
    if state in ("unreadable", "incomplete"):
        tail.append(f"summary.json is {state}: the run stopped before its baselines finished")
    atomic_write_text(failed, json.dumps({"returncode": returncode, "output_tail": tail, "log": str(log or "")}, indent=2))


def _visible_gpus(setting: str) -> int:
    if setting == "auto":
        import torch

        return torch.cuda.device_count()
    return int(setting)


def run_in_process(settings: SweepSettings, sweep_dir: Path, cells: list[Cell], run_cli: Runner,
                   echo=print) -> dict[str, str]:
    """``isolate: false``: the cache commands, then every cell, in this process (through ``run_cli``)."""
    for args in cache_arguments(settings, sweep_dir, cells):
        run_cli(args)
    for cell in cells:
        echo(f"sweep: {cell.name}: running")
        try:
            code = run_cli(cell_arguments(settings, sweep_dir, cell))
        except Exception as e:  # a failed cell is reported; the others go on
            echo(f"sweep: {cell.name}: {type(e).__name__}: {e}")
            code = 1
        record_outcome(cell_dir(sweep_dir, cell), code, None)
        echo(f"sweep: {cell.name}: {status(sweep_dir, cell)}")
    return {c.name: status(sweep_dir, c) for c in cells}


def run_local(settings: SweepSettings, sweep_dir: Path, cells: list[Cell], run_cli: Runner,
              echo=print) -> dict[str, str]:
    """Fill the cache, then run the cells: one at a time, or one per visible GPU at once (``run_cli`` runs
    them in this process when ``isolate`` is false)."""
    if not settings.isolate:
        return run_in_process(settings, sweep_dir, cells, run_cli, echo)
    for i, args in enumerate(cache_arguments(settings, sweep_dir, cells)):
        log = Path(sweep_dir) / "prepare" / f"data{i}.log"
        echo(f"sweep: filling the cache ({i + 1}: activations, or compiled programs for weights); log: {log}")
        with open(log, "a") as out:
            if subprocess.call(_command(args), stdout=out, stderr=subprocess.STDOUT) != 0:
                echo(f"sweep: filling the cache failed; the cells will capture what they need. See {log}")
    gpus = _visible_gpus(settings.gpus)
    slots: list[Optional[tuple]] = [None] * max(1, gpus)
    queue = list(cells)
    while queue or any(slots):
        for i, slot in enumerate(slots):
            if slot is not None and slot[0].poll() is not None:
                proc, cell, log = slot
                record_outcome(cell_dir(sweep_dir, cell), proc.returncode, log)
                echo(f"sweep: {cell.name}: {status(sweep_dir, cell)}")
                slots[i] = None
            if slots[i] is None and queue:
                cell = queue.pop(0)
                args = cell_arguments(settings, sweep_dir, cell)
                log = cell_dir(sweep_dir, cell) / "output.log"
                env = dict(os.environ)
                if gpus > 1:
                    env["CUDA_VISIBLE_DEVICES"] = str(i)
                echo(f"sweep: {cell.name}: running{f' on GPU {i}' if gpus > 1 else ''}; log: {log}")
                with open(log, "a") as out:
                    slots[i] = (subprocess.Popen(_command(args), stdout=out, stderr=subprocess.STDOUT, env=env), cell, log)
        time.sleep(0.2)
    return {c.name: status(sweep_dir, c) for c in cells}

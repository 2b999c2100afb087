"""The SLURM executor: one submitit job fills the cache, then a job array runs one cell per task.

Each task runs the ordinary CLI in the task's own process under ``srun`` (submitit starts it there), so
Lightning's SLURMEnvironment sees the ranks of a multi-GPU cell. A task that reaches its time limit or is
preempted is requeued by submitit (``Checkpointable``) and resumes from the cell's ``last.ckpt``.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import submitit

from meta_lightning.sweep.grid import Cell, SweepSettings
from meta_lightning.sweep.run import Runner, cache_arguments, cell_arguments, cell_dir, record_outcome, status


def prepare_task(commands: list[list[str]], run_cli: Runner) -> None:
    for args in commands:
        run_cli(args)  # a failure here only means the cells capture what they need themselves


class CellTask(submitit.helpers.Checkpointable):
    """One cell; its arguments are worked out on the node, so a requeued task finds the last checkpoint."""

    def __init__(self, run_cli: Runner):
        self.run_cli = run_cli

    def __call__(self, settings: SweepSettings, sweep_dir: str, cell: Cell) -> str:
        args = cell_arguments(settings, Path(sweep_dir), cell)
        try:
            code = self.run_cli(args)
        except Exception:
            code = 1
            raise
        finally:
            if os.environ.get("SLURM_PROCID", "0") == "0":  # rank 0 of a multi-GPU cell speaks for it
                record_outcome(cell_dir(Path(sweep_dir), cell), code, None)
        return status(Path(sweep_dir), cell)


def executor(settings: SweepSettings, sweep_dir: Path, cluster: Optional[str] = None) -> submitit.AutoExecutor:
    """``cluster``: None picks SLURM when available; ``debug`` or ``local`` run the same jobs without a cluster."""
    s = settings.slurm
    ex = submitit.AutoExecutor(folder=str(Path(sweep_dir) / "submitit" / "%j"), cluster=cluster)
    ex.update_parameters(name="meta_lightning", timeout_min=s.time_min, gpus_per_node=s.gpus_per_task,
                         tasks_per_node=max(1, s.gpus_per_task), cpus_per_task=s.cpus_per_task, mem_gb=s.mem_gb,
                         slurm_array_parallelism=s.array_parallelism)
    if ex.cluster == "slurm":
        extra = dict(s.additional)
        if s.partition:
            ex.update_parameters(slurm_partition=s.partition)
        ex.update_parameters(slurm_additional_parameters=extra)
    return ex


def run_slurm(settings: SweepSettings, sweep_dir: Path, cells: list[Cell], run_cli: Runner, echo=print,
              cluster: Optional[str] = None, wait: bool = False) -> list:
    """Submit the cache job and the cell array (after it); ``run_cli`` runs each command line on the node.
    Returns the cell jobs."""
    ex = executor(settings, sweep_dir, cluster)
    prepare = ex.submit(prepare_task, cache_arguments(settings, sweep_dir, cells), run_cli)
    echo(f"sweep: cache job {prepare.job_id} submitted")
    if ex.cluster == "slurm":
        extra = {**settings.slurm.additional, "dependency": f"afterany:{prepare.job_id}"}
        ex.update_parameters(slurm_additional_parameters=extra)
    else:
        prepare.result()  # without a scheduler, wait for it here
    sweep_dir = Path(sweep_dir).resolve()
    jobs = ex.map_array(CellTask(run_cli), [settings] * len(cells), [str(sweep_dir)] * len(cells), cells)
    for cell, job in zip(cells, jobs):
        echo(f"sweep: {cell.name}: job {job.job_id}")
    if wait:
        for cell, job in zip(cells, jobs):
            try:
                job.result()
            except Exception as e:  # a failed cell is reported, the others go on
                echo(f"sweep: {cell.name}: failed ({str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__})")
    return jobs


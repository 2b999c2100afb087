"""Compiled programs on disk: generated in parallel, in shards, content-keyed like the activation cache.

A dataset is a folder ``<cache>/weights/<key>/`` whose key hashes every setting that changes its content and
the code version below, except the program count: shard ``i`` is drawn from its own seed, so a set of 16,000
programs is a set of 8,000 with more shards after it, and asking for more programs generates only those. Each
shard is one ``.npz`` written atomically (weights, their offsets, program
tokens) by one worker process with its own seed, so an interrupted generation resumes with the shards it
lacks. Workers report as they go, and one progress bar shows programs sampled, checked and kept, the rate and
the time left.
"""
from __future__ import annotations

import hashlib
import json
import queue
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Optional

import numpy as np

from meta_lightning.paths import atomic_write_json, file_lock, resolve_cache_dir
from meta_lightning.weights import require_tracr
from meta_lightning.weights.layout import Dims, dims_of
from meta_lightning.weights.programs import sample_program
from meta_lightning.weights.size import min_params
from meta_lightning.weights.tokens import encode

VERSION = 4
"""Bump when sampling, compiling or storage changes what a key's files hold. 2: shards hold each model's sizes
(``layout.Dims``), so its parameters can be read as matrices. 3: labels numbered from 1 in each program, so a
model's weights do not depend on which process compiled it. 4: graph-shaped programs, the op kinds of Tracr's
library, random op names, and no program twice in a shard."""
REPORT_EVERY = 1.0
"""Seconds between a worker's progress reports."""


@dataclass(frozen=True)
class GenerationSettings:
    """What programs to generate; every field is part of the cache key."""

    programs: int = 6000
    """Programs to compile (accepted ones, before deduplication across shards)."""
    min_ops: int = 2
    """Fewest operations after the inputs."""
    max_ops: int = 4
    """Most operations after the inputs."""
    max_params: int = 24576
    """Programs whose compiled model has more parameters are skipped (the meta-model reads a bounded prefix)."""
    checks: int = 32
    """Random inputs on which each compiled model must agree with the RASP evaluator."""
    shard_size: int = 250
    """Programs per shard file (the unit of parallel work and of resuming)."""
    random_labels: bool = True
    """Name each program's ops at random before compiling. Tracr lays out ops of one layer by name, and a
    program someone wrote has their names (Tracr's ``make_pair_balance``), not ``map_1``, ``map_3``."""
    seed: int = 0


def _content(settings: GenerationSettings) -> dict:
    """The settings that decide what each shard holds (not how many shards there are)."""
    content = {**asdict(settings), "version": VERSION}
    del content["programs"]
    return content


def dataset_key(settings: GenerationSettings) -> str:
    return hashlib.sha256(json.dumps(_content(settings), sort_keys=True).encode()).hexdigest()[:16]


def shard_path(folder: Path, shard: int) -> Path:
    return folder / f"shard_{shard:05d}.npz"


def write_shard(path: Path, weights: list[np.ndarray], dims: list[Dims], tokens: list[np.ndarray]) -> None:
    """Programs' flat weights, sizes and tokens as one file, written atomically (whole or absent)."""
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, weights=np.concatenate(weights), offsets=np.cumsum([0] + [w.size for w in weights]),
             dims=np.array(dims, dtype=np.int32),
             tokens=np.concatenate(tokens), token_offsets=np.cumsum([0] + [t.size for t in tokens]))
    tmp.replace(path)


def _shard_size(settings: GenerationSettings, shard: int) -> int:
    return min(settings.shard_size, settings.programs - shard * settings.shard_size)


def programs_held(path: Path) -> int:
    """Programs in a shard file; 0 when it is absent or unreadable (it is then made again)."""
    try:
        with np.load(path) as z:
            return len(z["offsets"]) - 1
    except (OSError, ValueError, KeyError):
        return 0


def generate_shard(settings: GenerationSettings, shard: int, folder: str, reports=None,
                   skip_repeats: bool = True) -> dict:
    """One worker's shard: sample, check and compile until it holds ``shard_size`` programs (or its share).

    With ``skip_repeats`` (off only in the benchmark, as before version 4), a program already in the shard or
    kept out of training (hand-written, Tracr's library) is skipped before it is compiled, as is one whose
    model would have more than ``max_params`` parameters (``size.min_params``). Every
    ``REPORT_EVERY`` seconds ``reports`` (a queue) gets the counts since the last report:
    ``(sampled, checked, kept)``."""
    import jax

    from meta_lightning.weights.compile import compile_and_check, flat_weights, random_labels
    from meta_lightning.weights.dataset import never_trained

    jax.clear_caches()  # a worker's JAX caches grow with every program (3.5 GB after 11 shards): drop the last shard's

    count = _shard_size(settings, shard)
    rng = random.Random(f"{settings.seed}:{shard}")
    seen = set(never_trained())
    weights, dims, tokens, attempts, started = [], [], [], 0, time.perf_counter()
    counts, reported = [0, 0, 0], time.perf_counter()
    while len(tokens) < count:
        attempts += 1
        counts[0] += 1
        program = sample_program(rng, rng.randint(settings.min_ops, settings.max_ops))
        check_seed = rng.randrange(1 << 30)  # drawn for every program, so a skipped one shifts nothing else
        ids = tuple(encode(program))
        # a program whose model must be larger than max_params is skipped before Tracr builds it (size.py)
        if not (skip_repeats and ids in seen) and min_params(program, settings.max_params) <= settings.max_params:
            seen.add(ids)
            labels = random_labels(random.Random(check_seed), len(program)) if settings.random_labels else None
            model, check = compile_and_check(program, seed=check_seed, checks=settings.checks, labels=labels)
            if check.ok:
                counts[1] += 1
                flat = flat_weights(model)
                if flat.size <= settings.max_params:
                    counts[2] += 1
                    weights.append(flat)
                    dims.append(dims_of(model.params))
                    tokens.append(np.array(ids, dtype=np.int16))
        if reports is not None and (time.perf_counter() - reported > REPORT_EVERY or len(tokens) == count):
            reports.put(tuple(counts))
            counts, reported = [0, 0, 0], time.perf_counter()
    write_shard(shard_path(Path(folder), shard), weights, dims, tokens)
    return {"shard": shard, "programs": count, "attempts": attempts, "seconds": time.perf_counter() - started}


class Progress:
    """One bar over the programs to keep, with the sampled and checked counts beside it."""

    def __init__(self, total: int):
        from tqdm import tqdm

        self.sampled = self.checked = 0
        self.bar = tqdm(total=total, desc="weights: programs kept", unit="prog", dynamic_ncols=True,
                        mininterval=1.0, file=sys.stderr)

    def add(self, sampled: int, checked: int, kept: int) -> None:
        self.sampled, self.checked = self.sampled + sampled, self.checked + checked
        self.bar.set_postfix_str(f"sampled {self.sampled}, checked {self.checked}", refresh=False)
        self.bar.update(kept)

    def close(self) -> None:
        self.bar.close()


def _drain(reports, progress: Progress, timeout: float) -> None:
    try:
        progress.add(*reports.get(timeout=timeout))
        while True:
            progress.add(*reports.get_nowait())
    except queue.Empty:
        pass


def generate(settings: GenerationSettings, cache_dir: Optional[str] = None, workers: int = 2) -> Path:
    """The dataset's folder, generating the shards it lacks (in ``workers`` processes) first."""
    require_tracr("data.generation")
    folder = resolve_cache_dir(cache_dir) / "weights" / dataset_key(settings)
    folder.mkdir(parents=True, exist_ok=True)
    shards = -(-settings.programs // settings.shard_size)
    with file_lock(folder / ".lock"):
        # a shard from a smaller set may hold fewer programs; it is made again whole (its start is the same)
        missing = [s for s in range(shards) if programs_held(shard_path(folder, s)) < _shard_size(settings, s)]
        if missing:
            print(f"weights: generating {len(missing)} of {shards} shards in {folder} ({workers} processes)", flush=True)
            started = time.perf_counter()
            context = get_context("spawn")  # JAX is not fork-safe once initialised
            with context.Manager() as manager, ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                reports = manager.Queue()
                progress = Progress(sum(_shard_size(settings, s) for s in missing))
                try:
                    pending = {pool.submit(generate_shard, settings, s, str(folder), reports) for s in missing}
                    while pending:
                        _drain(reports, progress, timeout=0.5)
                        done, pending = wait(pending, timeout=0)
                        for future in done:
                            future.result()  # a worker's error, raised here
                    _drain(reports, progress, timeout=0)
                finally:
                    progress.close()
            print(f"weights: generated {progress.bar.n} programs from {progress.sampled} sampled "
                  f"({progress.checked} checked) in {time.perf_counter() - started:.0f} s", flush=True)
        atomic_write_json(folder / "settings.json", _content(settings))
    return folder

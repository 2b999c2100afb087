"""Compiled programs on disk: generated in parallel, in shards, content-keyed like the activation cache.

A dataset is a folder ``<cache>/weights/<key>/`` whose key hashes every setting that changes its content and
the code versions below. Each shard is one ``.npz`` written atomically (weights, their offsets, program
tokens) by one worker process with its own seed, so an interrupted generation resumes with the shards it
lacks. Reading joins the shards, drops repeated programs (same canonical tokens) and the held-out
hand-written ones, and splits by program hash, so no program is in two splits.
"""
from __future__ import annotations

import hashlib
import json
import random
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Optional

import numpy as np

from meta_lightning.errors import ConfigError
from meta_lightning.paths import atomic_write_json, file_lock, resolve_cache_dir
from meta_lightning.weights import require_tracr
from meta_lightning.weights.layout import Dims, dims_of
from meta_lightning.weights.programs import HELD_OUT, Program, sample_program
from meta_lightning.weights.tokens import BOS, EOS, ID, decode, encode

VERSION = 3
"""Bump when sampling, compiling or storage changes what a key's files hold. 2: shards hold each model's sizes
(``layout.Dims``), so its parameters can be read as matrices. 3: labels numbered from 1 in each program, so a
model's weights do not depend on which process compiled it."""


@dataclass(frozen=True)
class GenerationSettings:
    """What programs to generate; every field is part of the cache key."""

    programs: int = 6000
    """Programs to compile (accepted ones, before deduplication)."""
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
    seed: int = 0


def dataset_key(settings: GenerationSettings) -> str:
    blob = json.dumps({**asdict(settings), "version": VERSION}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _shard_path(folder: Path, shard: int) -> Path:
    return folder / f"shard_{shard:05d}.npz"


def generate_shard(settings: GenerationSettings, shard: int, folder: str) -> dict:
    """One worker's shard: sample, check and compile until it holds ``shard_size`` programs (or its share)."""
    from meta_lightning.weights.compile import compile_and_check, flat_weights

    count = min(settings.shard_size, settings.programs - shard * settings.shard_size)
    rng = random.Random(f"{settings.seed}:{shard}")
    weights, dims, tokens, attempts, started = [], [], [], 0, time.perf_counter()
    while len(tokens) < count:
        attempts += 1
        program = sample_program(rng, rng.randint(settings.min_ops, settings.max_ops))
        model, check = compile_and_check(program, seed=rng.randrange(1 << 30), checks=settings.checks)
        if not check.ok:
            continue
        flat = flat_weights(model)
        if flat.size > settings.max_params:
            continue
        weights.append(flat)
        dims.append(dims_of(model.params))
        tokens.append(np.array(encode(program), dtype=np.int16))
    path = _shard_path(Path(folder), shard)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, weights=np.concatenate(weights), offsets=np.cumsum([0] + [w.size for w in weights]),
             dims=np.array(dims, dtype=np.int32),
             tokens=np.concatenate(tokens), token_offsets=np.cumsum([0] + [t.size for t in tokens]))
    tmp.replace(path)  # atomic: a shard file is whole or absent
    return {"shard": shard, "programs": count, "attempts": attempts, "seconds": time.perf_counter() - started}


def generate(settings: GenerationSettings, cache_dir: Optional[str] = None, workers: int = 2) -> Path:
    """The dataset's folder, generating the shards it lacks (in ``workers`` processes) first."""
    require_tracr("data.generation")
    folder = resolve_cache_dir(cache_dir) / "weights" / dataset_key(settings)
    folder.mkdir(parents=True, exist_ok=True)
    shards = -(-settings.programs // settings.shard_size)
    with file_lock(folder / ".lock"):
        missing = [s for s in range(shards) if not _shard_path(folder, s).is_file()]
        if missing:
            print(f"weights: generating {len(missing)} of {shards} shards in {folder} ({workers} processes)", flush=True)
            started = time.perf_counter()
            # spawn: JAX is not fork-safe once initialised
            with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
                for report in pool.map(generate_shard, [settings] * len(missing), missing, [str(folder)] * len(missing)):
                    print(f"weights: shard {report['shard']}: {report['programs']} programs from "
                          f"{report['attempts']} sampled, {report['seconds']:.0f} s", flush=True)
            print(f"weights: generated in {time.perf_counter() - started:.0f} s", flush=True)
        atomic_write_json(folder / "settings.json", {**asdict(settings), "version": VERSION})
    return folder


@dataclass
class ProgramSet:
    """Programs with their flattened weights (float32), the compiled models' sizes, and tokens."""

    weights: list[np.ndarray]
    dims: list[Dims]
    tokens: list[np.ndarray]
    names: list[str]
    """The hand-written program's name, or "" for a sampled one."""

    def __len__(self) -> int:
        return len(self.tokens)

    def lengths(self) -> list[int]:
        """Ops per program; 0 where the program is not known (a params file read by ``predict``)."""
        return [len(decode(t.tolist())) if len(t) > 2 else 0 for t in self.tokens]


def _read_shard(path: Path) -> tuple[list[np.ndarray], list[Dims], list[np.ndarray]]:
    try:
        with np.load(path) as z:
            w, o, d, t, to = z["weights"], z["offsets"], z["dims"], z["tokens"], z["token_offsets"]
    except (OSError, ValueError, KeyError) as e:
        raise ConfigError("data.cache_dir", f"shard {path} is unreadable ({type(e).__name__})",
                          "Delete it; the next run generates it again") from e
    return ([w[o[i]:o[i + 1]] for i in range(len(o) - 1)], [Dims(*map(int, row)) for row in d],
            [t[to[i]:to[i + 1]] for i in range(len(to) - 1)])


def split_of(tokens: np.ndarray, fractions: tuple[float, float] = (0.8, 0.1)) -> str:
    """train / val / test by a hash of the program's tokens: stable, and the same program is never in two."""
    h = int(hashlib.sha256(tokens.astype(np.int16).tobytes()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "train" if h < fractions[0] else "val" if h < fractions[0] + fractions[1] else "test"


def read_splits(folder: Path) -> dict[str, ProgramSet]:
    """The dataset's train/val/test splits, deduplicated, without the held-out programs."""
    held = {tuple(encode(p)) for p in HELD_OUT.values()}
    seen: set[tuple] = set()
    splits = {s: ProgramSet([], [], [], []) for s in ("train", "val", "test")}
    for path in sorted(folder.glob("shard_*.npz")):
        for w, d, t in zip(*_read_shard(path)):
            key = tuple(t.tolist())
            if key in seen or key in held:
                continue
            seen.add(key)
            target = splits[split_of(t)]
            target.weights.append(w.astype(np.float32))
            target.dims.append(d)
            target.tokens.append(t.astype(np.int64))
            target.names.append("")
    return splits


def hand_written() -> ProgramSet:
    """The held-out programs, compiled (sort is exact on distinct tokens only, so it is not checked here)."""
    from meta_lightning.weights.compile import compile_program, flat_weights

    out = ProgramSet([], [], [], [])
    for name, program in HELD_OUT.items():
        model = compile_program(program)
        out.weights.append(flat_weights(model))
        out.dims.append(dims_of(model.params))
        out.tokens.append(np.array(encode(program), dtype=np.int64))
        out.names.append(name)
    return out


def from_files(paths: list[str], field: str = "data.predict_files") -> ProgramSet:
    """Compiled models to decompile: params files (.npz, ``files.save_params``), or RASP program files (any
    other suffix), compiled with Tracr first and kept with their program, so ``predict`` can say if it is exact."""
    from meta_lightning.weights.compile import compile_program_file
    from meta_lightning.weights.files import flatten, load_params

    out = ProgramSet([], [], [], [])
    for i, path in enumerate(paths):
        name = f"{field}[{i}]"
        if str(path).endswith(".npz"):
            params, tokens = load_params(path, name), [ID[BOS], ID[EOS]]  # the program is what predict finds out
        else:
            program, params = compile_program_file(path, name)
            tokens = encode(program)
        out.weights.append(flatten(params))
        out.dims.append(dims_of(params))
        out.tokens.append(np.array(tokens, dtype=np.int64))
        out.names.append(str(path))
    return out


def program_of(tokens: np.ndarray) -> Program:
    return decode(tokens.tolist())

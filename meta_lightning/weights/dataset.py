"""Compiled programs as data sets: the generated shards read into splits, and the programs never trained on.

Reading joins the shards (:mod:`.generation`), drops repeated programs (same canonical tokens), the held-out
hand-written ones and Tracr's library programs, and splits by program hash, so no program is in two splits.
"""
from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from meta_lightning.errors import ConfigError
from meta_lightning.weights.files import flatten
from meta_lightning.weights.layout import Dims, dims_of
from meta_lightning.weights.programs import HELD_OUT, Program
from meta_lightning.weights.tokens import BOS, EOS, ID, decode, encode


@dataclass
class ProgramSet:
    """Programs with their flattened weights (float32), the compiled models' sizes, and tokens."""

    weights: list[np.ndarray]
    dims: list[Dims]
    tokens: list[np.ndarray]
    names: list[str]
    """The hand-written program's name, or "" for a sampled one."""
    notes: list[str] = field(default_factory=list)
    """What the report should say beside a program (e.g. why it is outside the grammar); empty for none."""

    def __len__(self) -> int:
        return len(self.tokens)

    def note(self, i: int) -> str:
        return self.notes[i] if i < len(self.notes) else ""

    def first(self, count: int, field: str) -> "ProgramSet":
        """The first ``count`` programs; a one-line error naming ``field`` when there are fewer."""
        if count > len(self):
            raise ConfigError(field, f"{count} programs asked, but the training split holds {len(self)}",
                              "Lower it, or raise data.generation.programs")
        return self.subset(list(range(count)))

    def subset(self, keep: list[int]) -> "ProgramSet":
        return ProgramSet([self.weights[i] for i in keep], [self.dims[i] for i in keep], [self.tokens[i] for i in keep],
                          [self.names[i] for i in keep], [self.note(i) for i in keep])

    def fitting(self, encoding) -> tuple["ProgramSet", int]:
        """The programs whose compiled model ``encoding`` can read, and how many it cannot."""
        keep = []
        for i, dims in enumerate(self.dims):
            try:
                encoding.check(dims)
                keep.append(i)
            except ConfigError:
                pass
        return (self if len(keep) == len(self) else self.subset(keep)), len(self) - len(keep)

    def extend(self, other: "ProgramSet") -> "ProgramSet":
        """This set followed by ``other`` (a new set)."""
        notes = [self.note(i) for i in range(len(self))] + [other.note(i) for i in range(len(other))]
        return ProgramSet(self.weights + other.weights, self.dims + other.dims, self.tokens + other.tokens,
                          self.names + other.names, notes)

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


def read_splits(folder: Path, programs: Optional[int] = None) -> dict[str, ProgramSet]:
    """The dataset's train/val/test splits, deduplicated, without the held-out programs: of the first
    ``programs`` generated (in shard order; default all), as a folder shared by larger sets holds more."""
    held = never_trained()
    seen: set[tuple] = set()
    splits = {s: ProgramSet([], [], [], []) for s in ("train", "val", "test")}
    stored = (p for path in sorted(folder.glob("shard_*.npz")) for p in zip(*_read_shard(path)))
    for w, d, t in itertools.islice(stored, programs):  # lazily: shards past the first ``programs`` stay unread
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


def never_trained() -> frozenset[tuple]:
    """Tokens of the programs kept out of training: the hand-written ones, and Tracr's library programs that
    the grammar can write."""
    from meta_lightning.weights.library import library

    library_programs = [p.program for p in library() if p.program is not None]
    return frozenset(tuple(encode(p)) for p in list(HELD_OUT.values()) + library_programs)


def library_set(encoding) -> tuple[ProgramSet, dict[str, str]]:
    """Tracr's library programs as compiled by the library, checked against the RASP evaluator: those that
    ``encoding`` can read, with a note where the grammar cannot write them (their truth is then only <bos>
    <eos>, so they are never exact); and, by name, why each other program is not read."""
    from meta_lightning.weights.library import compiled_library

    out, unread = ProgramSet([], [], [], [], []), {}
    for p in compiled_library():
        if p.params is None:
            unread[p.name] = p.checked
            continue
        try:
            encoding.check(dims_of(p.params))
        except ConfigError as e:
            unread[p.name] = f"too large to read: {e.problem} ({e.field})" + (f"; {p.reason}" if p.reason else "")
            continue
        out.weights.append(flatten(p.params).astype(np.float32))
        out.dims.append(dims_of(p.params))
        out.tokens.append(np.array(encode(p.program) if p.program else [ID[BOS], ID[EOS]], dtype=np.int64))
        out.names.append(p.name)
        out.notes.append(f"outside the grammar: {p.reason}" if p.program is None else "")
    return out, unread


def from_files(paths: list[str], field: str = "data.predict_files") -> ProgramSet:
    """Compiled models to decompile: params files (.npz, ``files.save_params``), or RASP program files (any
    other suffix), compiled with Tracr first and kept with their program, so ``predict`` can say if it is exact."""
    from meta_lightning.weights.compile import compile_program_file
    from meta_lightning.weights.files import load_params

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

"""How large a program's compiled model must be, known before compiling it.

Tracr gives each categorical value one residual dimension, and a categorical sequence map one MLP unit per
pair of input values, so a few chained sequence maps can ask for a model of millions of parameters: one such
program held a generation worker for minutes at 13 GB. :func:`min_params` is a lower bound on the parameter
count from the value sets alone (pure Python, as Tracr's basis inference computes them), so generation skips
a program that ``max_params`` would reject anyway without compiling it, and the kept programs do not change.
"""
from __future__ import annotations

from typing import Optional

from meta_lightning.weights.programs import MAPS, MAX_SEQ_LEN, SEQUENCE_MAPS, VOCAB, Program, Ref

INPUT_VALUES = {"tokens": VOCAB, "indices": frozenset(range(MAX_SEQ_LEN))}
EMBEDDING_ROWS = len(VOCAB) + 2 + MAX_SEQ_LEN + 1
"""Rows of the token (vocabulary, BOS, padding) and position embeddings, each as wide as the residual."""


def value_sets(program: Program, limit: Optional[int] = None) -> Optional[list[frozenset]]:
    """Each op's possible values, as Tracr infers them; None once a sequence map would enumerate more than
    ``limit`` pairs (the program is then too large for any bound of that size)."""
    sets: list[frozenset] = []
    for op in program:
        if op.kind == "map":
            out = {MAPS[op.fn](x) for x in _values(sets, op.args[0])}
        elif op.kind == "sequence_map":
            first, second = _values(sets, op.args[0]), _values(sets, op.args[1])
            if limit is not None and len(first) * len(second) > limit:
                return None
            out = {SEQUENCE_MAPS[op.fn](x, y) for x in first for y in second}
        elif op.kind == "selector_width":
            out = set(range(MAX_SEQ_LEN + 1))
        elif op.numerical:  # the mean of 0/1 values over 1..n selected positions
            out = {v / n for v in _values(sets, op.args[2]) for n in range(1, MAX_SEQ_LEN + 1)}
        else:
            out = set(_values(sets, op.args[2]))
        sets.append(frozenset(out))
    return sets


def _values(sets: list[frozenset], ref: Ref) -> frozenset:
    return INPUT_VALUES[ref] if isinstance(ref, str) else sets[ref]


def mlp_units(program: Program, sets: list[frozenset], i: int) -> int:
    """The fewest hidden units Tracr's MLP for op ``i`` has (0 where the op needs no MLP or only a few)."""
    op = program[i]
    if op.kind == "sequence_map" and not op.numerical:
        return len(_values(sets, op.args[0])) * len(_values(sets, op.args[1]))  # one unit per pair of input values
    if op.kind == "map" and not op.numerical:
        return len(sets[i])  # a lookup table onto the output's values
    if op.kind == "map" and isinstance(op.args[0], int) and program[op.args[0]].numerical:
        return len(_values(sets, op.args[0])) - 1  # a threshold between each two input values
    return 0


def min_params(program: Program, limit: Optional[int] = None) -> int:
    """A lower bound on the parameters of the program's compiled model: its residual stream is at least one
    dimension per categorical value and per numerical op, both embeddings span it, and the widest MLP reads
    from and writes to it. Above ``limit`` it may stop early and return ``limit + 1``."""
    sets = value_sets(program, limit)
    if sets is None:
        return (limit or 0) + 1
    residual = sum(len(v) for v in INPUT_VALUES.values())
    residual += sum(1 if op.numerical else len(values) for op, values in zip(program, sets))
    widest = max(mlp_units(program, sets, i) for i in range(len(program)))
    return residual * (EMBEDDING_ROWS + 2 * widest)

"""Editing a guess towards the weights: a local search that the compiler steers, where no beam candidate
compiles back.

Most wrong guesses are a token or two off (a predicate, an argument, a map), and each wrong op shows in the
weights of its own layer. So from the beam candidate whose compiled model is nearest the given one
(:func:`distance`), every change of one token that keeps the op's kind (:func:`edits`) is scored by the
meta-model, the ``width`` most likely are compiled, and the nearest becomes the guess while it comes nearer,
for at most ``rounds`` rounds. An edit that compiles to the given model is the answer. Like the check, this
reads only the weights and the compiler, never the true program.
"""
from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from meta_lightning.weights.programs import ARITY, INPUTS, functions
from meta_lightning.weights.tokens import BOS, ENCODINGS, EOS, ID, VOCAB, decode

Score = Callable[[int, list[list[int]]], np.ndarray]
"""(request index, programs) -> the meta-model's log-likelihood of each program for that request's weights."""


def edits(ids: list[int]) -> list[list[int]]:
    """Every program one token away from ``ids`` with the same op kinds: another function, argument or
    encoding in one op (references only to inputs and earlier ops). Each is a well-formed program."""
    tokens = [VOCAB[i] for i in ids]
    if len(tokens) < 2 or tokens[0] != BOS or tokens[-1] != EOS:
        return []
    out, at, op = [], 1, 0
    while at < len(tokens) - 1:
        kind = tokens[at]
        arity = ARITY.get(kind)
        if arity is None:
            return []
        choices = [(at + 1, list(functions(kind)))]
        choices += [(at + 2 + j, list(INPUTS) + [f"v{i}" for i in range(op)]) for j in range(arity)]
        choices.append((at + 2 + arity, list(ENCODINGS)))
        for position, names in choices:
            for name in names:
                if name != tokens[position]:
                    out.append(ids[:position] + [ID[name]] + ids[position + 1:])
        at, op = at + 2 + arity + 1, op + 1
    return [e for e in out if _well_formed(e)]


def _well_formed(ids: list[int]) -> bool:
    try:
        decode(ids)
    except ValueError:  # e.g. a numerical sequence map that is not linear
        return False
    return True


def distance(compiled, vectors: np.ndarray, slots: np.ndarray) -> float:
    """Sum of absolute differences between a compiled guess (``verify.Compiled``) and the given model's
    vectors, matrix by matrix (by slot); a matrix only one of them has counts whole. 0: the same model."""
    mine = dict(zip(compiled.slots.tolist(), compiled.dense()))
    given = dict(zip(np.asarray(slots).tolist(), np.asarray(vectors)))
    total = 0.0
    for slot in mine.keys() | given.keys():
        a, b = mine.get(slot), given.get(slot)
        total += float(np.abs(a - b).sum() if a is not None and b is not None else np.abs(a if b is None else b).sum())
    return total


def repair_many(verifier, requests: list, score: Score, rounds: int, width: int) -> list[Optional[list[int]]]:
    """Per request of :meth:`.verify.Verifier.choose_many` (candidates best first, vectors, slots, size): an
    edited guess that compiles to the given model, or None. Rounds run over all requests together, so the
    compile workers share the work."""
    found: list[Optional[list[int]]] = [None] * len(requests)
    current: dict[int, tuple[float, list[int]]] = {}
    verifier.compile_all([tuple(c) for r in requests for c in r[0] if verifier.plausible(c, r[3])])  # cached after choose_many
    for i, (candidates, vectors, slots, _) in enumerate(requests):
        near = [(distance(f, vectors, slots), c) for c in candidates
                if (f := verifier.compiled.get(tuple(c))) is not None]
        if near:
            current[i] = min(near, key=lambda x: x[0])
    for _ in range(rounds):
        proposed = {}
        for i, (_, ids) in current.items():
            options = [e for e in edits(ids) if verifier.plausible(e, requests[i][3])]
            if options:
                likely = np.argsort(-np.asarray(score(i, options)), kind="stable")[:width]
                proposed[i] = [options[j] for j in likely]
        verifier.compile_all([tuple(e) for es in proposed.values() for e in es])  # checked plausible above
        nearer = {}
        for i, options in proposed.items():
            _, vectors, slots, _ = requests[i]
            compiled = [(verifier.compiled.get(tuple(e)), e) for e in options]
            same = [e for f, e in compiled if f is not None and f.equals(vectors, slots)]
            if same:
                found[i] = same[0]
                continue
            near = [(distance(f, vectors, slots), e) for f, e in compiled if f is not None]
            if near and (best := min(near, key=lambda x: x[0]))[0] < current[i][0]:
                nearer[i] = best
        current = nearer
        if not current:
            break
    return found

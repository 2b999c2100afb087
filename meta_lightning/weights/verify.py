"""Checking a guess against the weights it came from: compile it with Tracr and compare the two models.

A decompiled program is right about the weights when Tracr compiles it to the same model. The meta-model's
beam (:func:`.decoding.beam`) proposes programs, best first; the first one whose compiled model encodes to the
same input vectors as the given weights is the answer, and the most likely one otherwise. This reads only the
weights and the compiler, never the true program, so a user's decompile can do it too. The encoding sorts the
residual stream by what writes it (:func:`.layout.residual_order`), so Tracr's labels do not show; ops that
Tracr places side by side in one layer can still be laid out in another order, and then the right program is
not recognised (the guess falls back to the most likely one, as without the check).
"""
from __future__ import annotations

from collections import OrderedDict
from typing import NamedTuple, Optional

import numpy as np

from meta_lightning.weights.encoding import Encoding
from meta_lightning.weights.size import min_params
from meta_lightning.weights.tokens import decode

TOLERANCE = 1e-4
"""Largest difference between two encoded (squashed) cells of the same model: compiles are deterministic."""


class Compiled(NamedTuple):
    """A compiled guess as the meta-model reads it, kept sparse: a canvas is mostly zeros (a dense one is about
    1 MB, and a test run compiles thousands)."""

    shape: tuple[int, int]
    cells: np.ndarray
    """Flat indices of the nonzero cells."""
    values: np.ndarray
    slots: np.ndarray

    def dense(self) -> np.ndarray:
        """The encoded vectors, [matrices, features]."""
        out = np.zeros(self.shape[0] * self.shape[1], dtype=np.float32)
        out[self.cells] = self.values
        return out.reshape(self.shape)

    def equals(self, vectors: np.ndarray, slots: np.ndarray) -> bool:
        if vectors.shape != self.shape or not np.array_equal(slots, self.slots):
            return False
        return bool(np.abs(self.dense() - vectors).max(initial=0.0) <= TOLERANCE)


def compiled_vectors(ids: tuple[int, ...], encoding: Encoding) -> Optional[Compiled]:
    """The guess compiled with Tracr and encoded, or None where Tracr does not compile it here (undefined,
    unsupported, larger than the canvas). Runs in a worker process too."""
    global _COMPILES
    from meta_lightning.weights.compile import compile_program

    _COMPILES += 1
    if _COMPILES % 500 == 0:
        import jax

        jax.clear_caches()  # JAX keeps every compiled shape: gigabytes after a few thousand programs
    try:
        params = compile_program(decode(list(ids))).params
        vectors, _, slots = encoding.encode({m: dict(d) for m, d in params.items()})
    except Exception:
        return None
    cells = np.flatnonzero(vectors).astype(np.int32)
    return Compiled(vectors.shape, cells, vectors.reshape(-1)[cells], slots)


_COMPILES = 0


class Verifier:
    """Compiles guesses (each once: a cache by tokens) and compares them with the given models' vectors.

    Args:
        encoding: How the meta-model reads weights (a guess is encoded the same way).
        workers: Processes that compile (each imports Tracr and JAX once); 1 compiles in this process.
        remember: How many compiled guesses to keep.
    """

    def __init__(self, encoding: Encoding, workers: int = 1, remember: int = 8192):
        self.encoding, self.workers, self.remember = encoding, workers, remember
        self.compiled: OrderedDict[tuple, Optional[Compiled]] = OrderedDict()
        self.compiles = 0
        self._pool = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def compile_all(self, guesses: list[tuple[int, ...]]) -> None:
        """Compile the guesses not seen yet, in the workers when there are several."""
        todo = list(dict.fromkeys(g for g in guesses if g not in self.compiled))
        self.compiles += len(todo)
        if self.workers > 1 and len(todo) > 1:
            if self._pool is None:
                from concurrent.futures import ProcessPoolExecutor
                from multiprocessing import get_context

                self._pool = ProcessPoolExecutor(self.workers, mp_context=get_context("spawn"))  # JAX is not fork-safe
            found = list(self._pool.map(compiled_vectors, todo, [self.encoding] * len(todo), chunksize=4))
        else:
            found = [compiled_vectors(g, self.encoding) for g in todo]
        for guess, result in zip(todo, found):
            self.compiled[guess] = result
        while len(self.compiled) > self.remember:
            self.compiled.popitem(last=False)

    @staticmethod
    def plausible(ids: list[int], size: int) -> bool:
        """A program whose compiled model could have ``size`` parameters (``size.min_params``, before
        compiling: Tracr builds some programs far larger than any the meta-model reads, for minutes)."""
        try:
            program = decode(ids)
        except ValueError:  # cut short at max_tokens
            return False
        return min_params(program, size) <= size

    def choose_many(self, requests: list[tuple[list[list[int]], np.ndarray, np.ndarray, int]]) -> list[tuple[int, bool]]:
        """Per request (candidates best first, the given model's vectors (real rows only), its slots, its
        parameter count): (index of the answer, whether it compiles to the given model). Candidates are
        compiled rank by rank across the requests, so the workers share the work and no request compiles a
        candidate after its answer."""
        out = [(0, False)] * len(requests)
        pending = list(range(len(requests)))
        for k in range(max((len(r[0]) for r in requests), default=0)):
            asked = [(i, tuple(requests[i][0][k])) for i in pending if k < len(requests[i][0])]
            asked = [(i, g) for i, g in asked if self.plausible(list(g), requests[i][3])]
            self.compile_all([g for _, g in asked])
            for i, guess in asked:
                found, (_, vectors, slots, _) = self.compiled.get(guess), requests[i]
                if found is not None and found.equals(vectors, slots):
                    out[i] = (k, True)
            pending = [i for i in pending if not out[i][1]]
        return out

    def choose(self, candidates: list[list[int]], vectors: np.ndarray, slots: np.ndarray,
               size: int) -> tuple[int, bool]:
        """:meth:`choose_many` for one model."""
        return self.choose_many([(candidates, vectors, slots, size)])[0]

    def same(self, ids: list[int], vectors: np.ndarray, slots: np.ndarray, size: int) -> bool:
        """Whether the guess compiles to the model of ``size`` parameters read as ``vectors`` and ``slots``."""
        return self.choose([ids], vectors, slots, size)[1]

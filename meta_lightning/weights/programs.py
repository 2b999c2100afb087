"""RASP programs as plain data: a fixed library of operations, a random sampler and hand-written examples.

A program is a tuple of :class:`Op`; each op reads the inputs (``tokens``, ``indices``) or earlier ops by
index, and the last op is the output. Nothing here needs Tracr: :mod:`meta_lightning.weights.compile` turns a
program into RASP and weights, :mod:`meta_lightning.weights.tokens` into a token sequence.

Every sampled op reads the op before it, so no op is dead and a program of n ops has n layers of work.
Programs are written in one canonical order (:func:`canonical`): the same program always gives the same
tokens, which is what deduplication compares.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable, Union

INPUTS = ("tokens", "indices")
Ref = Union[str, int]
"""An input's name, or the index of an earlier op."""

MAPS: dict[str, Callable[[int], int]] = {
    "inc": lambda x: x + 1, "dec": lambda x: x - 1, "double": lambda x: 2 * x, "half": lambda x: x // 2,
    "neg": lambda x: -x, "mod2": lambda x: x % 2, "mod3": lambda x: x % 3, "is_zero": lambda x: int(x == 0),
    "gt2": lambda x: int(x > 2), "min2": lambda x: min(x, 2),
}
"""Categorical maps (and numerical maps, on numerical inputs): integers to integers."""
INDICATORS = ["is_zero", "gt2", "mod2"]
"""Maps whose values are 0 or 1: the categorical -> numerical maps, whose outputs Tracr can average."""
SEQUENCE_MAPS: dict[str, Callable[[int, int], int]] = {
    "add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y, "max": max, "min": min,
    "eq": lambda x, y: int(x == y), "lt": lambda x, y: int(x < y),
}
COMPARISONS = ("EQ", "LT", "LEQ", "GT", "GEQ", "NEQ", "TRUE")
"""Tracr's ``rasp.Comparison`` names, for ``Select(keys, queries, comparison)``."""

KINDS = ("map", "sequence_map", "aggregate", "selector_width")
ARITY = {"map": 1, "sequence_map": 2, "aggregate": 3, "selector_width": 2}
"""Arguments per kind: map (x), sequence_map (x, y), aggregate (keys, queries, values), selector_width (keys,
queries)."""


@dataclass(frozen=True)
class Op:
    kind: str
    fn: str
    """A MAPS or SEQUENCE_MAPS name, or a comparison for aggregate and selector_width."""
    args: tuple[Ref, ...]
    numerical: bool = False
    """The output's encoding: numerical (a number per position) or categorical (a one-hot value)."""


Program = tuple[Op, ...]


def check_program(program: Program) -> None:
    """Refuse a malformed program (unknown names, wrong arity, references forward or to a missing op)."""
    if not program:
        raise ValueError("a program needs at least one op")
    for i, op in enumerate(program):
        names = {"map": MAPS, "sequence_map": SEQUENCE_MAPS}.get(op.kind, COMPARISONS)
        if op.kind not in KINDS or op.fn not in names or len(op.args) != ARITY[op.kind]:
            raise ValueError(f"op {i} is malformed: {op}")
        for ref in op.args:
            if not (ref in INPUTS or (isinstance(ref, int) and 0 <= ref < i)):
                raise ValueError(f"op {i} reads {ref!r}, which is neither an input nor an earlier op")


def is_numerical(program: Program, ref: Ref) -> bool:
    return not isinstance(ref, str) and program[ref].numerical


def canonical(program: Program) -> Program:
    """The program with ops in depth-first post-order from the output, unused ops dropped, indices renumbered."""
    order: list[int] = []

    def visit(i: int) -> None:
        if i in order:
            return
        for ref in program[i].args:
            if isinstance(ref, int):
                visit(ref)
        order.append(i)

    visit(len(program) - 1)
    new = {old: n for n, old in enumerate(order)}
    return tuple(Op(program[i].kind, program[i].fn, tuple(r if isinstance(r, str) else new[r] for r in program[i].args),
                    program[i].numerical) for i in order)


def _is_indicator(program: Program, ref: Ref) -> bool:
    """A numerical op whose values are 0 or 1: a 0/1 map of a categorical value."""
    op = program[ref]
    return op.kind == "map" and op.fn in INDICATORS and not is_numerical(program, op.args[0])


def _pick(rng: random.Random, refs: list[Ref], program: list[Op], numerical: bool) -> Ref:
    fitting = [r for r in refs if is_numerical(tuple(program), r) == numerical]
    return rng.choice(fitting)


def sample_op(rng: random.Random, program: list[Op]) -> Op:
    """One op that reads the previous op (or an input, for the first), with encodings Tracr can compile."""
    refs: list[Ref] = list(INPUTS) + list(range(len(program)))
    last: Ref = len(program) - 1 if program else "tokens"  # Tracr compiles only programs that read tokens
    last_numerical = is_numerical(tuple(program), last)
    if last_numerical:  # Tracr averages 0/1 values only; any numerical value feeds a numerical map
        kind = rng.choice(("map", "aggregate")) if _is_indicator(tuple(program), last) else "map"
    else:
        kind = rng.choices(KINDS, weights=(3, 3, 3, 2))[0]
    if kind == "map":
        # categorical -> categorical, categorical -> numerical (a 0/1 map), numerical -> numerical
        numerical = last_numerical or rng.random() < 0.25
        fn = rng.choice(INDICATORS if numerical and not last_numerical else list(MAPS))
        return Op("map", fn, (last,), numerical)
    if kind == "sequence_map":
        other = _pick(rng, [r for r in refs if r != last], program, numerical=False)
        args = (last, other) if rng.random() < 0.5 else (other, last)
        return Op("sequence_map", rng.choice(list(SEQUENCE_MAPS)), args)
    comparison = rng.choice(COMPARISONS)
    if kind == "selector_width":
        other = _pick(rng, refs, program, numerical=False)
        return Op("selector_width", comparison, (last, other) if rng.random() < 0.5 else (other, last))
    if last_numerical:  # mean of a numerical value over the selected positions
        keys, queries = _pick(rng, refs, program, False), _pick(rng, refs, program, False)
        return Op("aggregate", comparison, (keys, queries, last), numerical=True)
    # categorical aggregate: copies the value from the selected position (valid when one is selected)
    keys, queries = (last, _pick(rng, refs, program, False)) if rng.random() < 0.5 else (_pick(rng, refs, program, False), last)
    values = _pick(rng, refs, program, False)
    return Op("aggregate", comparison, (keys, queries, values))


def sample_program(rng: random.Random, length: int) -> Program:
    """A random program of ``length`` ops (before compiling, which may still reject it)."""
    program: list[Op] = []
    for _ in range(length):
        program.append(sample_op(rng, program))
    return canonical(tuple(program))


HELD_OUT: dict[str, Program] = {
    # length: how many positions there are (every query selects every key)
    "length": (Op("selector_width", "TRUE", ("tokens", "tokens")),),
    # reverse: position length-1-i reads token i
    "reverse": (Op("selector_width", "TRUE", ("tokens", "tokens")),
                Op("sequence_map", "sub", (0, "indices")),
                Op("map", "dec", (1,)),
                Op("aggregate", "EQ", ("indices", 2, "tokens"))),
    # sort (unique tokens): each token's rank among the others, then the token of each rank
    "sort": (Op("selector_width", "LT", ("tokens", "tokens")),
             Op("aggregate", "EQ", (0, "indices", "tokens"))),
    # histogram: how often each position's token occurs
    "histogram": (Op("selector_width", "EQ", ("tokens", "tokens")),),
}
"""Hand-written programs kept out of training, to test decompiling programs a person would write."""


def describe(program: Program) -> str:
    """Readable RASP code, one assignment per op (what ``predict`` prints)."""
    def name(ref: Ref) -> str:
        return ref if isinstance(ref, str) else f"v{ref}"

    lines = []
    for i, op in enumerate(program):
        a = [name(r) for r in op.args]
        if op.kind == "map":
            expr = f"Map({op.fn}, {a[0]})"
        elif op.kind == "sequence_map":
            expr = f"SequenceMap({op.fn}, {a[0]}, {a[1]})"
        elif op.kind == "selector_width":
            expr = f"SelectorWidth(Select({a[0]}, {a[1]}, {op.fn}))"
        else:
            expr = f"Aggregate(Select({a[0]}, {a[1]}, {op.fn}), {a[2]})"
        lines.append(f"v{i} = {'numerical' if op.numerical else 'categorical'}({expr})")
    return "\n".join(lines)

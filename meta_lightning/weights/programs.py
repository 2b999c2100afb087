"""RASP programs as plain data: a fixed library of operations, a random sampler and hand-written examples.

A program is a tuple of :class:`Op`; each op reads the inputs (``tokens``, ``indices``) or earlier ops by
index, and the last op is the output. Nothing here needs Tracr: :mod:`meta_lightning.weights.compile` turns a
program into RASP and weights, :mod:`meta_lightning.weights.tokens` into a token sequence.

Sampled programs are graphs, as written programs are: an op reads the op before it or any earlier value, so
branches form and later ops join them (Tracr's ``make_pair_balance`` averages two indicators of the tokens
and subtracts one from the other). No op is dead, so a program of n ops has n ops of work. Programs are
written in one canonical order (:func:`canonical`): the same program always gives the same tokens, which is
what deduplication compares.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable, Union

INPUTS = ("tokens", "indices")
Ref = Union[str, int]
"""An input's name, or the index of an earlier op."""
MAX_SEQ_LEN = 5
"""Positions of every compiled program (the tie-breaking sequence map divides by it, as Tracr's ``make_sort``)."""
VOCAB = frozenset(range(5))
"""The values of ``tokens`` in every compiled program."""

MAPS: dict[str, Callable[[int], int]] = {
    "inc": lambda x: x + 1, "dec": lambda x: x - 1, "double": lambda x: 2 * x, "half": lambda x: x // 2,
    "neg": lambda x: -x, "mod2": lambda x: x % 2, "mod3": lambda x: x % 3, "is_zero": lambda x: int(x == 0),
    "gt2": lambda x: int(x > 2), "min2": lambda x: min(x, 2), "is_one": lambda x: int(x == 1),
    "le2": lambda x: int(x <= 2),
}
"""Categorical maps (and numerical maps, on numerical inputs): integers to integers."""
INDICATORS = ["is_zero", "gt2", "mod2", "is_one", "le2"]
"""Maps whose values are 0 or 1: the categorical -> numerical maps, whose outputs Tracr can average, and the
key predicates of a Select."""
SEQUENCE_MAPS: dict[str, Callable[[int, int], int]] = {
    "add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y, "max": max, "min": min,
    "eq": lambda x, y: int(x == y), "lt": lambda x, y: int(x < y),
    "tiebreak": lambda x, y: x + y / MAX_SEQ_LEN,
}
"""Categorical sequence maps. ``tiebreak`` (x + y/5) is Tracr's ``make_sort`` making keys unique by index."""
LINEAR = {"add": (1, 1), "sub": (1, -1)}
"""The sequence maps that also take two numerical values (Tracr compiles those only when linear)."""
COMPARISONS = ("EQ", "LT", "LEQ", "GT", "GEQ", "NEQ", "TRUE")
"""Tracr's ``rasp.Comparison`` names, for ``Select(keys, queries, comparison)``."""
KEY_PREDICATES: dict[str, Callable] = {f"key_{m}": (lambda f: lambda key, query: bool(f(key)))(MAPS[m])
                                       for m in INDICATORS}
"""Select predicates of the key alone, as Tracr's ``make_count`` (``lambda k, q: k == token``) writes them."""
PREDICATES = COMPARISONS + tuple(KEY_PREDICATES)
"""Every Select predicate the grammar names."""

KINDS = ("map", "sequence_map", "aggregate", "selector_width")
ARITY = {"map": 1, "sequence_map": 2, "aggregate": 3, "selector_width": 2}
"""Arguments per kind: map (x), sequence_map (x, y), aggregate (keys, queries, values), selector_width (keys,
queries)."""
CHAIN = 0.5
"""How often a sampled op reads the op before it; otherwise any earlier value or input, uniformly."""


@dataclass(frozen=True)
class Op:
    kind: str
    fn: str
    """A MAPS or SEQUENCE_MAPS name, or a predicate (PREDICATES) for aggregate and selector_width."""
    args: tuple[Ref, ...]
    numerical: bool = False
    """The output's encoding: numerical (a number per position) or categorical (a one-hot value)."""


Program = tuple[Op, ...]


def functions(kind: str):
    """The names an op of ``kind`` may use."""
    return {"map": MAPS, "sequence_map": SEQUENCE_MAPS}.get(kind, PREDICATES)


def check_program(program: Program) -> None:
    """Refuse a malformed program (unknown names, wrong arity, references forward or to a missing op)."""
    if not program:
        raise ValueError("a program needs at least one op")
    for i, op in enumerate(program):
        if op.kind not in KINDS or op.fn not in functions(op.kind) or len(op.args) != ARITY[op.kind]:
            raise ValueError(f"op {i} is malformed: {op}")
        if op.kind == "sequence_map" and op.numerical and op.fn not in LINEAR:
            raise ValueError(f"op {i} is a numerical {op.fn}: numerical sequence maps are {' or '.join(LINEAR)}")
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
    if isinstance(ref, str):
        return False
    op = program[ref]
    return op.kind == "map" and op.fn in INDICATORS and not is_numerical(program, op.args[0])


def _pick(rng: random.Random, refs: list[Ref], program: list[Op], numerical: bool) -> Ref:
    fitting = [r for r in refs if is_numerical(tuple(program), r) == numerical]
    return rng.choice(fitting)


def _predicate(rng: random.Random) -> str:
    return rng.choice(COMPARISONS) if rng.random() < 0.8 else rng.choice(list(KEY_PREDICATES))


def sample_op(rng: random.Random, program: list[Op]) -> Op:
    """One op with encodings Tracr can compile. It reads ``main`` (the op before it, or any earlier value) and,
    for the kinds with more arguments, any earlier values besides."""
    done = tuple(program)
    refs: list[Ref] = list(INPUTS) + list(range(len(program)))
    if not program:
        main: Ref = "tokens"  # Tracr compiles only programs that read tokens
    else:
        main = len(program) - 1 if rng.random() < CHAIN else rng.choice(refs)
    main_numerical = is_numerical(done, main)
    others_numerical = [r for r in refs if r != main and is_numerical(done, r)]
    if main_numerical:  # Tracr averages 0/1 values only, and adds numerical values linearly
        kinds = ["map"] + (["aggregate"] if _is_indicator(done, main) else []) + (["sequence_map"] if others_numerical else [])
        kind = rng.choice(kinds)
    else:
        kind = rng.choices(KINDS, weights=(3, 3, 3, 2))[0]
    if kind == "map":
        # categorical -> categorical, categorical -> numerical (a 0/1 map), numerical -> numerical
        numerical = main_numerical or rng.random() < 0.25
        fn = rng.choice(INDICATORS if numerical and not main_numerical else list(MAPS))
        return Op("map", fn, (main,), numerical)
    if kind == "sequence_map":
        if main_numerical:
            other = rng.choice(others_numerical)
            return Op("sequence_map", rng.choice(list(LINEAR)), (main, other) if rng.random() < 0.5 else (other, main), True)
        other = _pick(rng, [r for r in refs if r != main], program, numerical=False)
        args = (main, other) if rng.random() < 0.5 else (other, main)
        return Op("sequence_map", rng.choice(list(SEQUENCE_MAPS)), args)
    predicate = _predicate(rng)
    if kind == "selector_width":
        other = _pick(rng, refs, program, numerical=False)
        return Op("selector_width", predicate, (main, other) if rng.random() < 0.5 else (other, main))
    if main_numerical:  # mean of a numerical value over the selected positions
        keys, queries = _pick(rng, refs, program, False), _pick(rng, refs, program, False)
        return Op("aggregate", predicate, (keys, queries, main), numerical=True)
    # categorical aggregate: copies the value from the selected position (valid when one is selected)
    keys, queries = (main, _pick(rng, refs, program, False)) if rng.random() < 0.5 else (_pick(rng, refs, program, False), main)
    values = _pick(rng, refs, program, False)
    return Op("aggregate", predicate, (keys, queries, values))


def reads_tokens(program: Program) -> bool:
    return any("tokens" in op.args for op in program)


def sample_program(rng: random.Random, length: int) -> Program:
    """A random program of ``length`` ops (before compiling, which may still reject it): ops are drawn until
    every one feeds the output and some op reads the tokens."""
    while True:
        program: list[Op] = []
        for _ in range(length):
            program.append(sample_op(rng, program))
        kept = canonical(tuple(program))
        if len(kept) == length and reads_tokens(kept):
            return kept


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

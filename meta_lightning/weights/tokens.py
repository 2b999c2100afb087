"""A canonical, invertible tokenisation of RASP programs: what the weight-reading meta-model writes.

Each op is ``KIND FN ARG... ENC`` (the arity is fixed by the kind, so no separator is needed); a program is
``<bos> op op ... <eos>``. Arguments are ``tokens``, ``indices`` or ``v0``..``v{MAX_OPS-1}`` (earlier ops).
:func:`decode` inverts :func:`encode` exactly, and refuses a sequence that is not a well-formed program, so a
decompiled guess is either a program or an error, never a silent misreading.
"""
from __future__ import annotations

from meta_lightning.weights.programs import (
    ARITY,
    INPUTS,
    KINDS,
    LINEAR,
    MAPS,
    PREDICATES,
    SEQUENCE_MAPS,
    Op,
    Program,
    check_program,
    describe,
    functions,
)

PAD, BOS, EOS = "<pad>", "<bos>", "<eos>"
MAX_OPS = 8
ENCODINGS = ("categorical", "numerical")
VOCAB: tuple[str, ...] = ((PAD, BOS, EOS) + KINDS + tuple(MAPS) + tuple(SEQUENCE_MAPS) + PREDICATES + INPUTS
                          + tuple(f"v{i}" for i in range(MAX_OPS)) + ENCODINGS)
ID = {token: i for i, token in enumerate(VOCAB)}
assert len(ID) == len(VOCAB), "every token of the vocabulary is distinct"


def encode(program: Program) -> list[int]:
    """Token ids of ``program`` (already canonical: the caller decides the order)."""
    check_program(program)
    if len(program) > MAX_OPS:
        raise ValueError(f"programs have at most {MAX_OPS} ops, this one {len(program)}")
    out = [ID[BOS]]
    for op in program:
        out += [ID[op.kind], ID[op.fn]]
        out += [ID[ref if isinstance(ref, str) else f"v{ref}"] for ref in op.args]
        out.append(ID[ENCODINGS[int(op.numerical)]])
    return out + [ID[EOS]]


def decode(ids: list[int]) -> Program:
    """The program that :func:`encode` wrote as ``ids`` (trailing padding allowed); ValueError if malformed."""
    tokens = [VOCAB[i] if 0 <= i < len(VOCAB) else "?" for i in ids]
    while tokens and tokens[-1] == PAD:
        tokens.pop()
    if len(tokens) < 2 or tokens[0] != BOS or tokens[-1] != EOS:
        raise ValueError("a program starts with <bos> and ends with <eos>")
    body, ops, at = tokens[1:-1], [], 0
    while at < len(body):
        kind = body[at]
        if kind not in ARITY:
            raise ValueError(f"expected an op kind at token {at + 1}, got {kind!r}")
        end = at + 2 + ARITY[kind] + 1
        if end > len(body):
            raise ValueError(f"op {len(ops)} ({kind}) is cut short")
        fn, args, encoding = body[at + 1], body[at + 2:end - 1], body[end - 1]
        if encoding not in ENCODINGS:
            raise ValueError(f"op {len(ops)} ends with {encoding!r}, not an encoding")
        refs = tuple(a if a in INPUTS else int(a[1:]) if a.startswith("v") and a[1:].isdigit() else a for a in args)
        ops.append(Op(kind, fn, refs, encoding == "numerical"))
        at = end
    program = tuple(ops)
    check_program(program)
    return program


def allowed_next(prefix: list[int]) -> list[int]:
    """Token ids that can follow ``prefix`` (from <bos>) in some well-formed program: the grammar of
    :func:`encode`, with references only to inputs and ops already written. Constrained decoding masks the
    rest, so a guess is always a program."""
    tokens = [VOCAB[i] for i in prefix[1:]]
    ops, at = 0, 0
    while at < len(tokens):  # skip whole ops; stop inside the unfinished one
        end = at + 2 + ARITY.get(tokens[at], 0) + 1
        if end > len(tokens):
            break
        ops, at = ops + 1, end
    rest = tokens[at:]
    if not rest:
        kinds = list(KINDS) if ops < MAX_OPS else []
        return [ID[t] for t in kinds + ([EOS] if ops else [])]
    kind = rest[0]
    if len(rest) == 1:
        return [ID[t] for t in functions(kind)]
    if len(rest) < 2 + ARITY[kind]:
        return [ID[t] for t in list(INPUTS) + [f"v{i}" for i in range(ops)]]
    if kind == "sequence_map" and rest[1] not in LINEAR:  # numerical sequence maps are linear
        return [ID[ENCODINGS[0]]]
    return [ID[t] for t in ENCODINGS]


def readable(ids: list[int]) -> tuple[str, bool]:
    """(RASP code, True) for a written program; (why it is not one, False) for a malformed guess."""
    try:
        return describe(decode(ids)), True
    except ValueError as e:
        return f"(not a well-formed program: {e})", False

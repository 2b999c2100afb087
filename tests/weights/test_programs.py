import random

import pytest

from meta_lightning.weights.programs import (
    HELD_OUT,
    INPUTS,
    KEY_PREDICATES,
    LINEAR,
    Op,
    canonical,
    check_program,
    describe,
    sample_program,
)


def test_sampling_is_seeded_and_every_op_feeds_the_output():
    a = [sample_program(random.Random(7), 4) for _ in range(3)]
    b = [sample_program(random.Random(7), 4) for _ in range(3)]
    assert a == b
    for seed in range(200):
        length = random.Random(seed).randint(1, 6)
        program = sample_program(random.Random(seed), length)
        check_program(program)
        # canonical order keeps every op (none is dead), so the length is what was asked; tokens are read
        assert len(program) == length and canonical(program) == program
        assert any("tokens" in op.args for op in program)


def _shape(program):
    """(an op reads neither the op before it nor anything that op reads: a second branch; an op joins two
    branches: it reads two earlier ops, neither of which reads the other)."""
    def ancestors(i):
        out, todo = set(), [i]
        while todo:
            for ref in program[todo.pop()].args:
                if isinstance(ref, int) and ref not in out:
                    out.add(ref)
                    todo.append(ref)
        return out

    branch = any(i - 1 not in [r for r in op.args if isinstance(r, int)] for i, op in enumerate(program) if i)
    join = any(len({r for r in op.args if isinstance(r, int)}) >= 2 and all(
        a not in ancestors(b) and b not in ancestors(a) for a in op.args for b in op.args
        if isinstance(a, int) and isinstance(b, int) and a != b) for op in program)
    return branch, join


def test_sampled_programs_are_graphs_with_branches_and_joins_like_the_librarys():
    programs = [sample_program(random.Random(s), 5) for s in range(400)]
    shapes = [_shape(p) for p in programs]
    branches, joins = sum(b for b, _ in shapes), sum(j for _, j in shapes)
    assert 0.2 * len(programs) < branches < 0.95 * len(programs)  # chains too, as most library programs are
    assert joins > 0.1 * len(programs)
    # make_pair_balance's shape: two averaged indicators of the tokens, subtracted (numerical, linear)
    pair_balance = (Op("map", "is_zero", ("tokens",), True), Op("aggregate", "LEQ", ("indices", "indices", 0), True),
                    Op("map", "is_one", ("tokens",), True), Op("aggregate", "LEQ", ("indices", "indices", 2), True),
                    Op("sequence_map", "sub", (1, 3), True))
    assert _shape(pair_balance) == (True, True)


def test_numerical_values_only_feed_what_tracr_compiles():
    kinds = set()
    for seed in range(400):
        program = sample_program(random.Random(seed), 4)
        for op in program:
            for position, ref in enumerate(op.args):
                if isinstance(ref, int) and program[ref].numerical:
                    # a numerical value is mapped numerically, averaged (as the values argument), or added to
                    # or subtracted from another numerical value
                    assert ((op.kind == "map" and op.numerical) or (op.kind == "aggregate" and position == 2)
                            or (op.kind == "sequence_map" and op.numerical and op.fn in LINEAR))
                    kinds.add(op.kind)
    assert kinds == {"map", "aggregate", "sequence_map"}


def test_the_new_op_kinds_are_sampled():
    ops = [op for s in range(300) for op in sample_program(random.Random(s), 4)]
    assert any(op.fn in KEY_PREDICATES for op in ops) and any(op.fn == "tiebreak" for op in ops)
    assert any(op.kind == "sequence_map" and op.numerical for op in ops)


def test_a_numerical_sequence_map_must_be_linear():
    program = (Op("map", "is_zero", ("tokens",), True), Op("map", "gt2", ("tokens",), True),
               Op("sequence_map", "mul", (0, 1), True))
    with pytest.raises(ValueError, match="numerical sequence maps are add or sub"):
        check_program(program)


def test_canonical_order_drops_dead_ops_and_renumbers():
    program = (Op("map", "inc", ("tokens",)), Op("map", "dec", ("indices",)), Op("sequence_map", "add", (1, "tokens")))
    assert canonical(program) == (Op("map", "dec", ("indices",)), Op("sequence_map", "add", (0, "tokens")))


@pytest.mark.parametrize("program, needle", [
    ((), "at least one op"),
    ((Op("map", "nope", ("tokens",)),), "op 0 is malformed"),
    ((Op("map", "inc", ("tokens", "indices")),), "op 0 is malformed"),
    ((Op("map", "inc", (0,)),), "op 0 reads 0"),
])
def test_malformed_programs_are_refused(program, needle):
    with pytest.raises(ValueError, match=needle):
        check_program(program)


def test_held_out_programs_are_valid_and_print_as_rasp():
    for program in HELD_OUT.values():
        check_program(program)
        assert canonical(program) == program
    assert describe(HELD_OUT["sort"]) == ("v0 = categorical(SelectorWidth(Select(tokens, tokens, LT)))\n"
                                          "v1 = categorical(Aggregate(Select(v0, indices, EQ), tokens))")
    assert set(INPUTS) == {"tokens", "indices"}

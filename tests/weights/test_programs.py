import random

import pytest

from meta_lightning.weights.programs import HELD_OUT, INPUTS, Op, canonical, check_program, describe, sample_program


def test_sampling_is_seeded_and_every_op_reads_the_one_before():
    a = [sample_program(random.Random(7), 4) for _ in range(3)]
    b = [sample_program(random.Random(7), 4) for _ in range(3)]
    assert a == b
    for seed in range(200):
        program = sample_program(random.Random(seed), random.randint(2, 4))
        check_program(program)
        # canonical order keeps every op (none is dead), so the length is what was asked
        assert 2 <= len(program) <= 4
        assert canonical(program) == program


def test_numerical_values_only_feed_what_tracr_compiles():
    for seed in range(300):
        program = sample_program(random.Random(seed), 4)
        for op in program:
            for position, ref in enumerate(op.args):
                if isinstance(ref, int) and program[ref].numerical:
                    # a numerical value is mapped numerically or averaged (as the values argument)
                    assert (op.kind == "map" and op.numerical) or (op.kind == "aggregate" and position == 2)


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

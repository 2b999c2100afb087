import random

import pytest

from meta_lightning.weights.programs import HELD_OUT, sample_program
from meta_lightning.weights.tokens import BOS, EOS, ID, PAD, VOCAB, decode, encode


def test_every_sampled_and_held_out_program_round_trips():
    programs = [sample_program(random.Random(s), random.randint(1, 6)) for s in range(300)] + list(HELD_OUT.values())
    for program in programs:
        ids = encode(program)
        assert ids[0] == ID[BOS] and ids[-1] == ID[EOS]
        assert decode(ids) == program
        assert decode(ids + [ID[PAD]] * 5) == program


def test_a_program_has_one_spelling():
    ids = encode(HELD_OUT["reverse"])
    assert [VOCAB[i] for i in ids][:7] == [BOS, "selector_width", "TRUE", "tokens", "tokens", "categorical",
                                           "sequence_map"]


@pytest.mark.parametrize("tokens, needle", [
    (["selector_width"], "starts with <bos>"),
    ([BOS, "inc", EOS], "expected an op kind"),
    ([BOS, "map", "inc", EOS], "cut short"),
    ([BOS, "map", "inc", "tokens", "tokens", EOS], "not an encoding"),
    ([BOS, "map", "inc", "v3", "categorical", EOS], "neither an input nor an earlier op"),
])
def test_malformed_sequences_are_refused_not_misread(tokens, needle):
    with pytest.raises(ValueError, match=needle):
        decode([ID[t] for t in tokens])


def test_the_grammar_admits_every_real_program_and_nothing_malformed():
    from meta_lightning.weights.tokens import allowed_next

    for s in range(200):
        ids = encode(sample_program(random.Random(s), random.randint(1, 5)))
        for i in range(1, len(ids)):
            assert ids[i] in allowed_next(ids[:i]), (s, i)
    # after <bos>: an op, not <eos>; a reference can only name an op already written
    assert ID[EOS] not in allowed_next([ID[BOS]])
    assert ID["v0"] not in allowed_next([ID[BOS], ID["map"], ID["inc"]])
    rng = random.Random(0)
    for _ in range(100):  # a random walk through the grammar always ends in a program
        ids = [ID[BOS]]
        while ids[-1] != ID[EOS] and len(ids) < 60:
            ids.append(rng.choice(allowed_next(ids)))
        assert ids[-1] == ID[EOS]  # at most MAX_OPS ops, then only <eos>
        decode(ids)


def test_the_new_op_kinds_round_trip_through_tokens_and_the_parser():
    from meta_lightning.weights.files import parse_program
    from meta_lightning.weights.programs import Op, describe

    program = (Op("sequence_map", "tiebreak", ("tokens", "indices")), Op("selector_width", "key_le2", (0, 0)),
               Op("map", "is_one", ("tokens",), True), Op("aggregate", "LEQ", ("indices", "indices", 2), True),
               Op("sequence_map", "add", (3, 3), True), Op("sequence_map", "max", (1, 4)))
    assert decode(encode(program)) == program
    assert parse_program(describe(program)) == program
    assert "SelectorWidth(Select(v0, v0, key_le2))" in describe(program)


def test_only_linear_sequence_maps_may_be_numerical():
    from meta_lightning.weights.tokens import allowed_next

    prefix = [ID[t] for t in (BOS, "sequence_map", "mul", "tokens", "indices")]
    assert allowed_next(prefix) == [ID["categorical"]]
    prefix = [ID[t] for t in (BOS, "sequence_map", "sub", "tokens", "indices")]
    assert allowed_next(prefix) == [ID["categorical"], ID["numerical"]]

import random

import numpy as np
import pytest

from meta_lightning.errors import ConfigError
from meta_lightning.weights.files import flatten, load_params, parse_program, save_params
from meta_lightning.weights.programs import HELD_OUT, describe, sample_program


def test_printed_programs_parse_back_to_themselves():
    programs = list(HELD_OUT.values()) + [sample_program(random.Random(s), 4) for s in range(100)]
    for program in programs:
        assert parse_program(describe(program)) == program
    assert parse_program("# reverse, by hand\n\n" + describe(HELD_OUT["reverse"]) + "  # done") == HELD_OUT["reverse"]


@pytest.mark.parametrize("text, needle", [
    ("v1 = categorical(Map(inc, tokens))", "--program line 1: cannot read 'v1 = categorical(Map(inc, tokens))'. Write v0 ="),
    ("v0 = categorical(Mop(inc, tokens))", "--program line 1: unknown operation"),
    ("v0 = categorical(Map(triple, tokens))", "--program line 1: unknown function 'triple'. Use one of: inc, dec"),
    ("v0 = categorical(SelectorWidth(Select(tokens, tokens, ABOUT)))", "--program line 1: unknown comparison 'ABOUT'"),
    ("v0 = categorical(Map(inc, v3))", "--program: op 0 reads 3, which is neither an input nor an earlier op"),
    ("", "--program: a program needs at least one op"),
])
def test_a_bad_program_file_is_named_by_line_with_the_fix(text, needle):
    with pytest.raises(ConfigError) as e:
        parse_program(text)
    assert str(e.value).startswith(needle)


def test_params_round_trip_and_flatten_in_a_fixed_order(tmp_path):
    params = {"token_embed": {"embeddings": np.eye(3, dtype=np.float32)}, "pos_embed": {"embeddings": np.ones((2, 3))},
              "transformer/layer_0/mlp/linear_1": {"w": np.arange(6.0).reshape(3, 2), "b": np.zeros(2)}}
    save_params(params, tmp_path / "m.npz")
    loaded = load_params(str(tmp_path / "m.npz"))
    assert np.array_equal(flatten(loaded), flatten(params))
    # sorted modules (pos_embed, token_embed, transformer/...), then names (b before w)
    assert flatten(params)[:6].tolist() == [1.0] * 6 and flatten(params)[15:17].tolist() == [0.0, 0.0]


def test_a_bad_params_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="^--params: no such file"):
        load_params(str(tmp_path / "none.npz"))
    (tmp_path / "junk.npz").write_bytes(b"junk")
    with pytest.raises(ConfigError, match=r"^--params: cannot read .*junk.npz as .npz"):
        load_params(str(tmp_path / "junk.npz"))
    np.savez(tmp_path / "other.npz", **{"layer/w": np.zeros(3)})
    with pytest.raises(ConfigError, match="no token_embed/embeddings: not a Tracr-compiled model"):
        load_params(str(tmp_path / "other.npz"))

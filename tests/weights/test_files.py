import random

import numpy as np
import pytest

from meta_lightning.errors import ConfigError
from meta_lightning.weights.files import flatten, load_params, parse_program, save_params
from meta_lightning.weights.layout import Dims
from meta_lightning.weights.programs import HELD_OUT, describe, sample_program
from tests.helpers.params import random_params


def test_printed_programs_parse_back_to_themselves():
    programs = list(HELD_OUT.values()) + [sample_program(random.Random(s), 4) for s in range(100)]
    for program in programs:
        assert parse_program(describe(program)) == program
    assert parse_program("# reverse, by hand\n\n" + describe(HELD_OUT["reverse"]) + "  # done") == HELD_OUT["reverse"]


@pytest.mark.parametrize("text, needle", [
    ("v1 = categorical(Map(inc, tokens))", "--program line 1: cannot read 'v1 = categorical(Map(inc, tokens))'. Write v0 ="),
    ("v0 = categorical(Mop(inc, tokens))", "--program line 1: unknown operation"),
    ("v0 = categorical(Map(triple, tokens))", "--program line 1: unknown function 'triple'. Use one of: inc, dec"),
    ("v0 = categorical(SelectorWidth(Select(tokens, tokens, ABOUT)))", "--program line 1: unknown predicate 'ABOUT'"),
    ("v0 = categorical(Map(inc, v3))", "--program: op 0 reads 3, which is neither an input nor an earlier op"),
    ("", "--program: a program needs at least one op"),
])
def test_a_bad_program_file_is_named_by_line_with_the_fix(text, needle):
    with pytest.raises(ConfigError) as e:
        parse_program(text)
    assert str(e.value).startswith(needle)


def test_params_round_trip_and_flatten_in_a_fixed_order(tmp_path):
    params = random_params(Dims(1, 3, 2, 2))
    params["pos_embed"]["embeddings"][:] = 1.0
    params["transformer/layer_0/attn/key"]["b"][:] = 0.0
    save_params(params, tmp_path / "m.npz")
    loaded = load_params(str(tmp_path / "m.npz"))
    assert np.array_equal(flatten(loaded), flatten(params))
    # sorted modules (pos_embed, token_embed, transformer/...), then names (b before w)
    assert flatten(params)[:18].tolist() == [1.0] * 18 and flatten(params)[39:41].tolist() == [0.0, 0.0]


def test_a_bad_params_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="^--params: no such file"):
        load_params(str(tmp_path / "none.npz"))
    (tmp_path / "junk.npz").write_bytes(b"junk")
    with pytest.raises(ConfigError, match=r"^--params: cannot read .*junk.npz as .npz"):
        load_params(str(tmp_path / "junk.npz"))
    np.savez(tmp_path / "other.npz", **{"layer/w": np.zeros(3)})
    with pytest.raises(ConfigError, match="no token_embed/embeddings: not a Tracr-compiled model"):
        load_params(str(tmp_path / "other.npz"))
    params = random_params(Dims(2, 5, 3, 4))
    params["transformer/layer_1/mlp/linear_2"]["w"] = np.zeros((4, 6), dtype=np.float32)
    save_params(params, tmp_path / "bent.npz")
    with pytest.raises(ConfigError, match=r"^--params: .*bent.npz transformer/layer_1/mlp/linear_2/w has shape \(4, 6\), "
                                          r"where a model of 2 layers and residual width 5 has \(4, 5\)"):
        load_params(str(tmp_path / "bent.npz"))
    del params["transformer/layer_1/mlp/linear_2"]
    save_params(params, tmp_path / "cut.npz")
    with pytest.raises(ConfigError, match=r"^--params: .*cut.npz lacks transformer/layer_1/mlp/linear_2/b"):
        load_params(str(tmp_path / "cut.npz"))

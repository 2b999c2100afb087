import pytest

from meta_lightning.capture.layers import resolve_layers
from meta_lightning.errors import ConfigError


@pytest.mark.parametrize("spec,n,expected", [
    (3, 30, [3]),
    (-1, 30, [30]),
    (-31, 30, [0]),
    ([0.25, 0.5, 0.75], 30, [8, 15, 22]),  # round() of 7.5 and 22.5 goes to the even neighbour
    (["25%", "50%", "75%"], 32, [8, 16, 24]),
    ("every:4:0.5", 32, [16, 20, 24, 28, 32]),  # the paper: every 4th layer of the second half
    ("every:4", 12, [4, 8, 12]),
    ("every:2:1:5", 30, [1, 3, 5]),
    ("all", 3, [0, 1, 2, 3]),
    ([4, 2, 4, "-1"], 6, [2, 4, 6]),
])
def test_layer_specs(spec, n, expected):
    assert resolve_layers(spec, n) == expected


@pytest.mark.parametrize("spec,needle", [
    (40, "layer 40 is out of range for a model with 30 layers"),
    (-32, "out of range for a model with 30 layers"),
    (1.5, "outside [0, 1]"),
    ("every:x", "not an integer"),
    ("every:0", "at least 1"),
    ("middle", "cannot read layer 'middle'"),
    ([], "no layers given"),
    (True, "boolean"),
])
def test_bad_layer_specs_name_the_field(spec, needle):
    with pytest.raises(ConfigError) as e:
        resolve_layers(spec, 30, field="data.layers")
    assert str(e.value).startswith("data.layers: ") and needle in str(e.value)

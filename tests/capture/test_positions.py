import pytest

from meta_lightning.capture.positions import parse_positions
from meta_lightning.errors import ConfigError


@pytest.mark.parametrize("spec,length,expected", [
    ("last", 5, [4]), ("last:2", 5, [3, 4]), ("tail:2", 5, [3, 4]), ("tail:9", 3, [0, 1, 2]),
    ("all", 3, [0, 1, 2]), ([0, -1], 5, [0, 4]), (2, 5, [2]),
])
def test_position_specs(spec, length, expected):
    assert parse_positions(spec).resolve(length) == expected


def test_assistant_needs_a_start():
    assert parse_positions("assistant").resolve(10, assistant_start=6) == [6]
    with pytest.raises(ConfigError, match="positions: 'assistant' needs examples encoded from chat messages"):
        parse_positions("assistant").resolve(10)


@pytest.mark.parametrize("spec,needle", [("first", "cannot read 'first'"), ("last:x", "cannot read 'last:x'"),
                                         ("last:0", "at least one token"), ("tail:0", "at least one token"),
                                         ("tail", "cannot read 'tail'"), (["a"], "token indices")])
def test_bad_position_specs(spec, needle):
    with pytest.raises(ConfigError) as e:
        parse_positions(spec, field="data.positions")
    assert str(e.value).startswith("data.positions: ") and needle in str(e.value)


def test_out_of_range_index_and_short_example():
    with pytest.raises(ConfigError, match="index 7 is outside an example of 5 tokens"):
        parse_positions([7]).resolve(5)
    with pytest.raises(ConfigError, match="more tokens than an example of 2"):
        parse_positions("last:3").resolve(2)


def test_canonical_forms_are_stable():
    assert [parse_positions(s).canonical() for s in ("last", "last:1", "last:4", "tail:4", [1, -2], "assistant")] == \
        ["last", "last", "last:4", "tail:4", "indices:1,-2", "assistant"]

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


def test_system_part_joins_the_tail_without_repeats():
    assert parse_positions("system+tail:3").resolve(10, system_end=4) == [0, 1, 2, 3, 7, 8, 9]
    assert parse_positions("system+tail:8").resolve(10, system_end=4) == list(range(10))  # overlap read once
    assert parse_positions("system").resolve(10, system_end=4) == [0, 1, 2, 3]
    assert parse_positions("system+last").resolve(10, system_end=0) == [9]  # no system prompt: the tail alone
    assert [parse_positions(s).canonical() for s in ("system", "system+tail:32", "system+last")] == \
        ["system", "system+tail:32", "system+last"]
    assert parse_positions("system+tail:32").at_most is None  # the system part's length varies


@pytest.mark.parametrize("spec,resolve,needle", [
    ("system+tail:3", {"length": 10}, "'system' needs examples encoded from chat messages"),
    ("system", {"length": 10, "system_end": 0}, "no token before its first user message"),
])
def test_system_part_errors(spec, resolve, needle):
    with pytest.raises(ConfigError, match=needle):
        parse_positions(spec, field="data.capture.positions").resolve(**resolve)


@pytest.mark.parametrize("spec", ["system+system", "system+", "system+first"])
def test_bad_system_specs(spec):
    with pytest.raises(ConfigError, match="^data.capture.positions: "):
        parse_positions(spec, field="data.capture.positions")

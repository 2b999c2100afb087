"""Grid expansion: subsets, seeds, bundles, names, and the errors of a bad sweep file."""
import pytest
import yaml

from meta_lightning.errors import ConfigError
from meta_lightning.sweep import SweepSettings, expand, load_sweep, subsets
from meta_lightning.sweep.grid import nest


def test_subsets_are_every_non_empty_combination_smallest_first():
    s = subsets(["a", "b", "c", "d"])
    assert len(s) == 15 and s[0] == ["a"] and s[-1] == ["a", "b", "c", "d"]
    assert len({tuple(x) for x in s}) == 15


def test_expand_makes_fifteen_cells_per_seed_plus_a_baseline():
    settings = SweepSettings(grid={"data.behaviors": {"subsets": ["sentiment", "emotion", "language", "multilingual"]}},
                             seeds=[0, 1], overrides={"trainer.max_steps": 5})
    cells = expand(settings)
    assert len(cells) == 2 * 16
    base = [c for c in cells if c.command == "test"]
    assert [c.name for c in base] == ["untrained__seed0", "untrained__seed1"]
    cell = next(c for c in cells if c.name == "sentiment+language__seed1")
    assert cell.group == "sentiment+language" and cell.seed == 1
    assert cell.overrides == {"trainer.max_steps": 5, "seed_everything": 1, "data.sampling_seed": 1,
                              "data.behaviors": ["sentiment", "language"]}


def test_bundles_set_several_keys_and_are_named():
    pairs = [{"name": "a2b", "data.input_model.name": "a", "model.meta_model.name": "b"},
             {"name": "a2c", "data.input_model.name": "a", "model.meta_model.name": "c"}]
    cells = expand(SweepSettings(grid={"pair": pairs, "model.optimizer.lr": [0.1]}, baseline=False))
    assert [c.name for c in cells] == ["a2b__lr=0.1__seed0", "a2c__lr=0.1__seed0"]
    assert cells[1].overrides["model.meta_model.name"] == "c" and "name" not in cells[1].overrides


def test_nest_turns_dotted_keys_into_sections():
    assert nest({"a.b": 1, "a.c.d": 2, "e": 3}) == {"a": {"b": 1, "c": {"d": 2}}, "e": 3}


@pytest.mark.parametrize("grid, field", [({"data.behaviors": []}, "sweep.grid.data.behaviors"),
                                         ({"data.behaviors": {"subsets": []}}, "sweep.grid.data.behaviors"),
                                         ({"model.optimizer.lr": 0.1}, "sweep.grid.model.optimizer.lr"),
                                         ({"pair": [1, 2]}, "sweep.grid.pair")])
def test_a_grid_that_cannot_expand_names_its_key(grid, field):
    with pytest.raises(ConfigError) as e:
        expand(SweepSettings(grid=grid))
    assert str(e.value).startswith(field)


def test_sweep_file_errors_name_the_field(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({"sweep": {"configs": ["missing.yaml"]}}))
    with pytest.raises(ConfigError, match=r"^sweep.configs: .*missing.yaml does not exist"):
        load_sweep(path)
    path.write_text(yaml.safe_dump({"sweep": {"seedz": [1]}}))
    with pytest.raises(ConfigError, match="seedz"):
        load_sweep(path)
    path.write_text("trainer: {}\n")
    with pytest.raises(ConfigError, match="^sweep: .*no `sweep:` section"):
        load_sweep(path)
    with pytest.raises(ConfigError, match="^sweep.executor"):
        expand(SweepSettings(executor="kubernetes"))

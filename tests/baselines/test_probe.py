import pytest
import torch

from meta_lightning.baselines.probe import fit_logistic, probe_baseline, transfer_probe_baseline
from meta_lightning.data import MetaDataModule
from tests.helpers.folders import save_byte_model


def test_logistic_probe_finds_a_planted_direction_on_fresh_data():
    g = torch.Generator().manual_seed(0)
    direction = torch.randn(32, generator=g)
    def sample(n):
        y = torch.arange(n) % 3
        return torch.randn(n, 32, generator=g) + (y[:, None] - 1.0) * direction * 1.0, y
    x, y = sample(300)
    proba = fit_logistic(x, y, 3)
    fresh, truth = sample(300)
    assert (proba(fresh).argmax(-1) == truth).float().mean() > 0.9
    assert torch.allclose(proba(fresh).sum(-1), torch.ones(300))


@pytest.fixture(scope="module")
def datamodule(tmp_path_factory):
    folder = save_byte_model(tmp_path_factory.mktemp("probe") / "tiny", "llama")
    dm = MetaDataModule(input_model={"name": str(folder)}, behaviors=["sentiment"], capture={"layers": [1, -1]},
                        splits={"train": 16, "val": 4, "test": 8, "eval_test": 40}, loader={"batch_size": 4}, use_cache=False)
    dm.setup("fit")
    dm.setup("test")
    return dm


def test_probe_reports_every_test_set_with_an_interval_and_labels_the_lie_probe_as_an_upper_bound(datamodule):
    out = probe_baseline(datamodule)
    assert set(out) == {"sentiment", "lies"}
    for entry in out.values():
        lo, hi = entry["accuracy_ci95"]
        assert 0 <= lo <= entry["accuracy"] <= hi <= 1
    assert out["sentiment"]["questions"] == 16  # 8 conversations x 2 questions
    assert out["lies"]["questions"] == 40
    assert "upper bound, not transfer" in out["lies"]["probe"]
    assert out["lies"]["held_out"] and not out["sentiment"]["held_out"]


def test_probe_answers_yes_exactly_when_its_class_is_the_one_asked(datamodule, monkeypatch):
    # A probe that is always sure of the true class answers every question correctly.
    import meta_lightning.baselines.probe as probe

    test = next(d for d in datamodule.datasets["test"] if d.name == "sentiment")
    classes = list(datamodule.behavior("sentiment").classes)
    proba = torch.zeros(len(test.conversations), len(classes))
    for i, c in enumerate(test.conversations):
        proba[i, classes.index(c.label)] = 1.0
    assert probe._score_questions(test, proba, classes, False)["accuracy"] == 1.0
    assert probe._score_questions(test, 1 - proba, classes, False)["accuracy"] == 0.0


def test_transfer_probe_reads_the_training_classes_as_the_held_out_ones_by_position(datamodule, monkeypatch):
    import meta_lightning.baselines.probe as probe

    out = transfer_probe_baseline(datamodule)
    assert set(out) == {"lies"} and out["lies"]["questions"] == 40 and out["lies"]["held_out"]
    assert "positive read as truthful, negative as lying" in out["lies"]["probe"]
    lo, hi = out["lies"]["accuracy_ci95"]
    assert 0 <= lo <= out["lies"]["accuracy"] <= hi <= 1
    # A probe whose class 0 / 1 is exactly truthful / lying scores 1.0; swapped, 0.0.
    lies = next(d for d in datamodule.datasets["test"] if d.name == "lies")
    table = torch.tensor([[1.0, 0.0] if c.label == "truthful" else [0.0, 1.0] for c in lies.conversations])
    for given, expected in ((table, 1.0), (table.flip(-1), 0.0)):
        monkeypatch.setattr(probe, "fit_logistic", lambda x, y, k, given=given: (lambda new: given))
        assert transfer_probe_baseline(datamodule)["lies"]["accuracy"] == expected


def test_transfer_probe_needs_a_two_class_training_behaviour(tmp_path):
    folder = save_byte_model(tmp_path / "tiny", "llama")
    dm = MetaDataModule(input_model={"name": str(folder)}, behaviors=["emotion"], capture={"layers": [1, -1]},
                        splits={"train": 12, "val": 6, "test": 6, "eval_test": 8}, loader={"batch_size": 4}, use_cache=False)
    dm.setup("fit")
    dm.setup("test")
    assert transfer_probe_baseline(dm) == {}



def test_probe_features_concatenate_every_vector_or_take_each_layers_last_position():
    from meta_lightning.baselines.probe import _features

    same = [torch.arange(12.0).reshape(2, 3, 2), torch.zeros(2, 3, 2)]
    assert torch.equal(_features(same, whole=True)[0], torch.arange(12.0))
    assert torch.equal(_features(same, whole=False)[0], torch.tensor([4.0, 5.0, 10.0, 11.0]))
    ragged = [torch.arange(12.0).reshape(2, 3, 2), torch.arange(8.0).reshape(2, 2, 2)]
    assert torch.equal(_features(ragged, whole=False), torch.tensor([[4.0, 5.0, 10.0, 11.0], [2.0, 3.0, 6.0, 7.0]]))


@pytest.mark.parametrize("positions, whole", [("last", True), ("last:2", True), ("tail:3", False),
                                              ("system+tail:3", False), ("all", False)])
def test_the_reading_follows_the_positions_not_the_data(positions, whole):
    """A run whose training set happened to give one length everywhere and whose lie set did not (system+tail:32)
    fitted on 56 positions and applied to 1: the reading is fixed by the positions for every set."""
    from types import SimpleNamespace

    from meta_lightning.baselines.probe import whole_reading

    assert whole_reading(SimpleNamespace(positions=lambda: positions)) is whole


def test_the_transfer_probe_reads_a_system_prompt_run(tmp_path):
    folder = save_byte_model(tmp_path / "tiny", "llama")
    dm = MetaDataModule(input_model={"name": str(folder)}, behaviors=["sentiment"],
                        capture={"layers": [1, -1], "positions": "system+tail:2"},
                        splits={"train": 8, "val": 4, "test": 4, "eval_test": 8}, loader={"batch_size": 4}, use_cache=False)
    dm.setup("fit")
    dm.setup("test")
    lies = next(d for d in dm.datasets["test"] if d.name == "lies")
    assert len({a.shape for a in lies.activations}) > 1  # the lie set's system prompts differ in length
    assert transfer_probe_baseline(dm)["lies"]["questions"] == 8

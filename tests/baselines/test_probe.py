import pytest
import torch

from meta_lightning.baselines.probe import fit_logistic, probe_baseline
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
                        train_size=16, val_size=4, test_size=8, eval_test_size=40, batch_size=4, use_cache=False)
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
    assert probe._score_questions(test, proba, classes)["accuracy"] == 1.0
    assert probe._score_questions(test, 1 - proba, classes)["accuracy"] == 0.0

"""The meta-model's initialisation comes from its own stream of the run's seed, not from the global generator."""
import pytest
import torch

from meta_lightning.meta import MetaModel
from tests.helpers.folders import save_byte_model
from tests.helpers.sources import source


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return save_byte_model(tmp_path_factory.mktemp("m") / "meta", "qwen2", 1)


def _built(folder, consume: int):
    torch.manual_seed(0)  # seed_everything, as the CLI runs it before the model is made
    module = MetaModel(meta_model={"name": str(folder)}, finetune={"method": "lora"}, injection={"mode": "add"})
    torch.rand(consume)  # what a first-time GGUF conversion or a capture would draw in between
    module.net.build(source(24, 2), module.init_seed)
    after = torch.rand(3)
    return {k: v.detach().clone() for k, v in module.state_dict().items()}, after


def test_initialisation_does_not_depend_on_what_drew_from_the_global_generator_before(folder):
    (cold, after_cold), (warm, _) = _built(folder, 1000), _built(folder, 0)
    assert cold.keys() == warm.keys() and any("lora_A" in k for k in cold)
    assert all(torch.equal(cold[k], warm[k]) for k in cold), "initialisation must not depend on earlier draws"
    # The global stream is left as it was: a build draws nothing from it.
    torch.manual_seed(0)
    torch.rand(1000)
    assert torch.equal(after_cold, torch.rand(3))


def test_another_seed_initialises_differently(folder):
    torch.manual_seed(1)
    module = MetaModel(meta_model={"name": str(folder)}, finetune={"method": "lora"}, injection={"mode": "add"})
    module.net.build(source(24, 2), module.init_seed)
    other = module.state_dict()
    same, _ = _built(folder, 0)
    assert any(not torch.equal(same[k], other[k]) for k in same if "lora_A" in k)

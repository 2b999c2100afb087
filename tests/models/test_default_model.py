"""The real embedded default model, end to end: alias -> GGUF -> cached safetensors -> capture."""
import time

import pytest
import torch

from meta_lightning.capture import ActivationCapturer, encode_chat
from meta_lightning.models import ALIASES, load_model
from meta_lightning.models.aliases import packaged_path
from meta_lightning.models.gguf import convert_gguf, is_converted

pytestmark = pytest.mark.slow  # over 5 s a test on 2 cores: a real model, a Trainer run or a sweep


def test_default_model_loads_from_the_prepared_cache_and_captures_exactly(user_cache, no_amx):
    """In float32: bfloat16 (chosen on AMX CPUs) differs between batched and single forwards by about 1 %."""
    assert packaged_path(ALIASES["smollm2-135m-instruct"]) is not None, "run the README set-up command first"
    start = time.perf_counter()
    loaded = load_model("smollm2-135m-instruct")
    elapsed = time.perf_counter() - start
    assert str(loaded.folder).startswith(str(user_cache)) and is_converted(loaded.folder)
    print(f"default model load: {elapsed:.2f}s")
    assert loaded.parts.num_layers == 30 and loaded.model.config.hidden_size == 576
    tok = loaded.tokenizer
    conversations = [
        [{"role": "user", "content": "Tell me about your day."}, {"role": "assistant", "content": "It was wonderful, thanks!"},
         {"role": "user", "content": "Say more."}],
        [{"role": "user", "content": "What is the capital of France?"}],
    ]
    examples = [encode_chat(tok, c) for c in conversations]
    layers = [0.25, 0.5, 0.75, -1]
    result = ActivationCapturer(loaded, layers=layers, positions="last:2", padding_side="left").capture(examples)
    assert result.layers == [8, 15, 22, 30]
    for e, got in zip(examples, result.activations):
        with torch.no_grad():
            states = loaded.model(torch.tensor([e.input_ids]), output_hidden_states=True).hidden_states
        want = torch.stack([states[i][0, -2:] for i in result.layers])
        assert ((got - want).norm() / want.norm()).item() < 1e-5
    ids = tok("The capital of France is", return_tensors="pt")
    out = loaded.model.generate(**ids, max_new_tokens=3, do_sample=False)
    assert "Paris" in tok.decode(out[0, ids["input_ids"].shape[1]:])


def test_gguf_conversion_is_atomic_and_reproducible(tmp_path, user_cache, monkeypatch):
    """An interrupted conversion leaves nothing that looks finished; a fresh one matches the user's cache."""
    from transformers import AutoModelForCausalLM

    gguf = packaged_path(ALIASES["smollm2-135m-instruct"])
    real = AutoModelForCausalLM.from_pretrained

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(AutoModelForCausalLM, "from_pretrained", interrupted)
    with pytest.raises(KeyboardInterrupt):
        convert_gguf(gguf, tmp_path)
    assert [p.name for p in (tmp_path / "models").iterdir() if not p.name.endswith(".lock")] == []
    monkeypatch.setattr(AutoModelForCausalLM, "from_pretrained", real)
    folder = convert_gguf(gguf, tmp_path)
    assert is_converted(folder) and folder.parent == tmp_path / "models"
    prepared = load_model("smollm2-135m-instruct").fingerprint  # from the user's cache
    monkeypatch.setenv("META_LIGHTNING_CACHE", str(tmp_path))
    assert load_model("smollm2-135m-instruct").fingerprint == prepared


def test_all_minilm_alias_loads_as_an_input_model(user_cache):
    loaded = load_model("all-minilm-l6-v2", causal_lm=False, field="input_model")
    assert loaded.model.config.hidden_size == 384 and loaded.parts.num_layers == 6
    e = encode_chat(loaded.tokenizer, [{"role": "user", "content": "Bonjour, comment allez-vous ?"}])
    result = ActivationCapturer(loaded, layers=[3, -1], positions="all").capture([e])
    with torch.no_grad():
        states = loaded.model(torch.tensor([e.input_ids]), output_hidden_states=True).hidden_states
    want = torch.stack([states[3][0], states[6][0]])
    assert ((result.activations[0] - want).norm() / want.norm()).item() < 1e-5
    with pytest.raises(Exception, match="input_model.name: 'all-minilm-l6-v2' is a 'bert' model, not a causal LM"):
        load_model("all-minilm-l6-v2", field="input_model")


def test_an_alias_split_across_wheels_is_assembled_by_its_package(tmp_path, monkeypatch):
    """A package that carries chunks and an ``assemble`` function (Gemma-3-270M): the alias resolves to the
    file that function returns."""
    from meta_lightning.models.aliases import Alias

    package = tmp_path / "chunked_model"
    (package / "data").mkdir(parents=True)
    target = tmp_path / "model.gguf"
    (package / "__init__.py").write_text(f"def assemble():\n    open({str(target)!r}, 'wb').write(b'GGUF')\n"
                                         f"    return {str(target)!r}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    alias = Alias(package="chunked_model", relative_path="data", install="pip install x", assemble="chunked_model:assemble")
    assert packaged_path(alias) == target and target.read_bytes() == b"GGUF"
    assert packaged_path(Alias(package="no_such_package_here", relative_path="data", install="x")) is None

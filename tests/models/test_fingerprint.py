import torch

from meta_lightning.models import load_model
from meta_lightning.models.load import LoadedModel
from tests.helpers.folders import save_tiny
from tests.helpers.tiny import tiny_model, tiny_tokenizer


def test_fingerprint_depends_on_weights_tokenizer_and_template_not_on_path(tmp_path):
    a = load_model(str(save_tiny(tmp_path / "a", seed=0)))
    same = load_model(str(save_tiny(tmp_path / "b", seed=0)))
    other_weights = load_model(str(save_tiny(tmp_path / "c", seed=1)))
    assert a.fingerprint == same.fingerprint
    assert a.fingerprint != other_weights.fingerprint
    folder = save_tiny(tmp_path / "d", seed=0)
    tok = tiny_tokenizer()
    tok = tok.__class__.from_pretrained(folder)
    tok.chat_template = "{% for m in messages %}{{ m['content'] }}{% endfor %}"
    tok.save_pretrained(folder)
    assert load_model(str(folder)).fingerprint != a.fingerprint


def test_in_memory_fingerprint_hashes_tensors():
    model = tiny_model("gpt2")
    first = LoadedModel.from_objects(model, tiny_tokenizer()).fingerprint
    assert LoadedModel.from_objects(tiny_model("gpt2"), tiny_tokenizer()).fingerprint == first
    with torch.no_grad():
        model.transformer.h[0].mlp.c_fc.weight[0, 0] += 1e-3
    assert LoadedModel.from_objects(model, tiny_tokenizer()).fingerprint != first


def test_weight_digest_is_remembered_and_refreshed_when_the_file_changes(tmp_path):
    folder = save_tiny(tmp_path / "m")
    first = load_model(str(folder)).fingerprint
    digests = list((tmp_path.parent).glob("**/digests/*.json"))
    assert digests, "the weight digest should be memoised in the cache"
    tiny_model("llama", seed=5).save_pretrained(folder)  # new weights, same path
    assert load_model(str(folder)).fingerprint != first

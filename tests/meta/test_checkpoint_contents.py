"""A checkpoint holds exactly what the fine-tuning method trains, and a header that names its side."""
import pytest

from meta_lightning.meta import MetaModel
from tests.helpers.folders import save_byte_model
from tests.helpers.sources import source


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return save_byte_model(tmp_path_factory.mktemp("ckpt") / "meta", "qwen2", 2)


def _built(folder, method: str) -> MetaModel:
    module = MetaModel(meta_model={"name": str(folder)}, finetune={"method": method},
                       projector={"kind": "mlp" if method == "projector" else "linear"})
    module.net.build(source(24, 2), 7)
    return module


@pytest.mark.parametrize("method, parts", [
    ("projector", ()),
    ("attention", (".self_attn.",)),
    ("full", ("",)),
    ("lora", ("lora_A", "lora_B")),
])
def test_the_checkpoint_keeps_what_the_method_trains_and_nothing_else(folder, method, parts):
    module = _built(folder, method)
    checkpoint = {"state_dict": module.state_dict()}
    module.on_save_checkpoint(checkpoint)
    projector = {k for k in module.state_dict() if k.startswith("net.projector.")}
    model = {k for k in module.state_dict() if k.startswith("net.model.")}
    expected = projector | {k for k in model if any(p in k for p in parts)}
    assert projector and set(checkpoint["state_dict"]) == expected
    if method == "attention":  # every block's attention, the same tensors in each
        blocks = {k.split(".layers.")[1].split(".")[0] for k in model if ".layers." in k}
        assert len(expected - projector) == len(blocks) * len({k.split(".self_attn.")[1] for k in expected - projector})
    header = checkpoint["meta_lightning"]
    assert header["kind"] == "activations" and header["format"] == 4
    assert header["input"] == {"input_fingerprint": "test-fingerprint", "layers": [0, 1], "positions": "last"}

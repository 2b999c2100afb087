import pytest
import torch

from meta_lightning.meta import MetaModel
from meta_lightning.meta.answers import yes_probability
from meta_lightning.meta.inject import replace_embeddings
from meta_lightning.meta.projector import layer_indices
from tests.helpers.folders import save_byte_model
from tests.helpers.sources import source


@pytest.fixture(scope="module")
def module(tmp_path_factory):
    folder = save_byte_model(tmp_path_factory.mktemp("answers") / "meta", "llama", 3)
    torch.manual_seed(0)
    m = MetaModel(meta_model={"name": str(folder)}, prompt={"answer_format": "name_then_answer", "chat_template": False,
                                                             "max_name_tokens": 3, "template": "{activations}\n{question}\n"})
    m.net.build(source(8, 2), 0)
    return m.net.eval()


def _batch():
    g = torch.Generator().manual_seed(0)
    return {"activations": [torch.randn(2, 8, generator=g) for _ in range(3)],
            "question": ["is it a?", "is it bb?", "hello?"], "answer": [None] * 3}


def _no_cache_reference(m, batch):
    """Greedy naming without a KV cache: the whole sequence is run again for every new token."""
    out = []
    sep = m.prompts.separator_ids[0]
    for i in range(len(batch["question"])):
        acts = batch["activations"][i]
        ids = m.prompts.build([batch["question"][i]], [None], [acts.shape[0]]).input_ids
        vectors = m.projector(acts, layer_indices([acts.shape[0]], 2))
        written = []
        for step in range(m.options.prompt.max_name_tokens + 2):
            embeds = replace_embeddings(m.parts.embeddings(ids), ids == m.prompts.placeholder_id, vectors)
            logits = m.model(inputs_embeds=embeds).logits[:, -1]
            if step == 0:
                direct = yes_probability(logits, m.prompts.yes_id, m.prompts.no_id)
            if written and written[-1] == sep:
                out.append((direct, yes_probability(logits, m.prompts.yes_id, m.prompts.no_id), written[:-1]))
                break
            token = sep if len(written) == m.options.prompt.max_name_tokens else int(logits.argmax(-1))
            written.append(token)
            ids = torch.cat([ids, torch.tensor([[token]])], 1)
    return out


@torch.no_grad()
def test_greedy_naming_with_the_cache_equals_rerunning_the_whole_sequence(module):
    batch = _batch()
    readings = module.read(batch)
    for row, (direct, named, written) in enumerate(_no_cache_reference(module, batch)):
        assert torch.allclose(readings.p_direct[row], direct[0], atol=1e-5)
        assert torch.allclose(readings.p_named[row], named[0], atol=1e-5)
        assert readings.names[row] == module.prompts.tokenizer.decode(written).strip()


@torch.no_grad()
def test_yes_no_format_reads_one_position_and_names_nothing(module):
    module.options.prompt.answer_format = "yes_no"
    try:
        readings = module.read(_batch())
    finally:
        module.options.prompt.answer_format = "name_then_answer"
    assert readings.names == [] and torch.equal(readings.p_direct, readings.p_named)

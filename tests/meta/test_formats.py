import pytest
import torch

from meta_lightning.meta import MetaModel
from meta_lightning.meta.answers import yes_probability
from meta_lightning.meta.formats import FORMATS
from meta_lightning.meta.inject import replace_embeddings
from meta_lightning.meta.projector import layer_indices
from tests.helpers.folders import save_byte_model
from tests.helpers.sources import source


@pytest.fixture(scope="module")
def module(tmp_path_factory):
    folder = save_byte_model(tmp_path_factory.mktemp("answers") / "meta", "llama", 3)
    torch.manual_seed(0)
    m = MetaModel(meta_model={"name": str(folder)}, prompt={"answer_format": "name_then_answer", "chat_template": False,
                                                             "max_name_tokens": 3, "max_answer_tokens": 4,
                                                             "template": "{activations}\n{question}\n"})
    m.net.build(source(8, 2), 0)
    return m.net.eval()


def _batch():
    g = torch.Generator().manual_seed(0)
    return {"activations": [torch.randn(2, 8, generator=g) for _ in range(3)],
            "question": ["is it a?", "is it bb?", "hello?"], "answer": [None] * 3}


def _no_cache_reference(m, batch, stop: int, limit: int):
    """Greedy decoding without a KV cache: the whole sequence is run again for every new token. Per row: P(Yes)
    at the first answer position, P(Yes) after the stop token, and the tokens written before it."""
    out = []
    for i in range(len(batch["question"])):
        acts = batch["activations"][i]
        ids = m.prompts.build([batch["question"][i]], [None], [acts.shape[0]]).input_ids
        vectors = m.projector(acts, layer_indices([acts.shape[0]], 2))
        written = []
        for step in range(limit + 2):
            embeds = replace_embeddings(m.parts.embeddings(ids), ids == m.prompts.placeholder_id, vectors)
            logits = m.model(inputs_embeds=embeds).logits[:, -1]
            if step == 0:
                direct = yes_probability(logits, m.prompts.yes_id, m.prompts.no_id)
            if written and written[-1] == stop:
                out.append((direct, yes_probability(logits, m.prompts.yes_id, m.prompts.no_id), written[:-1]))
                break
            token = stop if len(written) == limit else int(logits.argmax(-1))
            written.append(token)
            ids = torch.cat([ids, torch.tensor([[token]])], 1)
    return out


@torch.no_grad()
def test_greedy_naming_with_the_cache_equals_rerunning_the_whole_sequence(module):
    batch = _batch()
    readings = module.read(batch)
    limit = module.options.prompt.max_name_tokens
    for row, (direct, named, written) in enumerate(_no_cache_reference(module, batch, module.prompts.separator_ids[0], limit)):
        assert torch.allclose(readings.p_direct[row], direct[0], atol=1e-5)
        assert torch.allclose(readings.p_named[row], named[0], atol=1e-5)
        assert readings.names[row] == module.prompts.tokenizer.decode(written).strip()
    assert readings.texts is None


@torch.no_grad()
def test_yes_no_format_reads_the_first_answer_position_and_names_nothing(module):
    batch = _batch()
    readings = FORMATS["yes_no"].read(module, batch)
    named = module.read(batch)
    assert readings.names == [] and torch.equal(readings.p_direct, readings.p_named)
    assert torch.allclose(readings.p_direct, named.p_direct, atol=1e-6)


@torch.no_grad()
def test_free_text_decodes_greedily_with_the_cache_as_a_rerun_does_and_stops_at_the_limit(module):
    batch = {**_batch(), "kind": ["free_text"] * 3}
    readings = module.read(batch)
    limit, end = module.options.prompt.max_answer_tokens, module.prompts.end_id
    reference = _no_cache_reference(module, batch, end, limit)
    decode = module.prompts.tokenizer.decode
    assert readings.texts == [decode(w, skip_special_tokens=True).strip() for _, _, w in reference]
    assert readings.p_named is None and all(len(w) <= limit for _, _, w in reference)


def test_an_evaluation_batch_of_two_kinds_is_refused(module):
    with pytest.raises(ValueError, match="mixes question kinds"):
        module.read({**_batch(), "kind": ["free_text", "yes_no", "yes_no"]})


def test_a_mixed_training_batch_builds_each_row_in_its_own_format(module):
    """Yes/No rows start with the class name (name_then_answer); the free-text row is its reference alone."""
    batch = {**_batch(), "answer": ["Yes", "a cat", "No"], "kind": ["yes_no", "free_text", "yes_no"],
             "class_name": ["A", "B", "C"]}
    names = module.names_for(batch)
    assert names == ["A", None, "C"]
    prompt = module.prompts.build(batch["question"], batch["answer"], [2, 2, 2], names)
    targets = [[t for t in row.tolist() if t != -100] for row in prompt.targets]
    p = module.prompts
    assert targets[1] == p.answer_ids("a cat")
    assert targets[0] == p.name_ids("A") + p.answer_ids("Yes") and targets[2] == p.name_ids("C") + p.answer_ids("No")
    assert int(prompt.verdict[0]) - int(prompt.first_answer[0]) == len(p.name_ids("A"))
    loss, p_yes = module.loss_and_p_yes(batch)
    assert torch.isfinite(loss) and p_yes.shape == (3,)

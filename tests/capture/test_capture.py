import pytest
import torch

from meta_lightning.capture import ActivationCapturer, encode_chat
from tests.helpers.tiny import ARCHITECTURES, random_examples, tiny_loaded, tiny_tokenizer


def rel_err(a: torch.Tensor, b: torch.Tensor) -> float:
    return ((a - b).norm() / b.norm().clamp_min(1e-12)).item()


def reference(loaded, ids, layers, positions):
    """output_hidden_states of one unbatched, unpadded forward."""
    with torch.no_grad():
        out = loaded.model(torch.tensor([ids]), output_hidden_states=True)
    return torch.stack([out.hidden_states[layer][0, positions] for layer in layers])


@pytest.mark.parametrize("side", ["right", "left"])
def test_capture_equals_output_hidden_states(any_arch, side):
    examples = random_examples(7, seed=1)
    layers = [0, 1, 2, 4]  # embeddings, a middle block, the final (post-norm) output
    capturer = ActivationCapturer(any_arch, layers=layers, positions="all", batch_size=4, padding_side=side)
    result = capturer.capture(examples)
    assert result.layers == layers
    assert capturer.stats.forwards == 2 and capturer.stats.padded_tokens > capturer.stats.tokens  # really batched, really padded
    for ids, got in zip(examples, result.activations):
        want = reference(any_arch, ids, layers, list(range(len(ids))))
        assert got.shape == (len(layers), len(ids), 64)
        assert rel_err(got, want) < 1e-5


def test_example_is_the_same_in_any_batch_and_padding(any_arch):
    examples = random_examples(9, seed=2)
    probe = examples[4]
    alone = ActivationCapturer(any_arch, layers=[1, 3], positions="last:3").capture([probe]).activations[0]
    for side in ("left", "right"):
        for batch_size in (2, 3, 9):
            capturer = ActivationCapturer(any_arch, layers=[1, 3], positions="last:3", batch_size=batch_size, padding_side=side)
            got = capturer.capture(examples).activations[4]
            assert rel_err(got, alone) < 1e-5, (side, batch_size)


def test_gpt2_left_padding_needs_position_ids():
    """Proves the padding test can fail: GPT-2 without our position ids gives other vectors under left padding."""
    loaded = tiny_loaded("gpt2")
    short, long = [5, 6, 7], [8, 9, 10, 11, 12, 13]
    with torch.no_grad():
        naive = loaded.model(torch.tensor([[0, 0, 0] + short, long]), attention_mask=torch.tensor([[0, 0, 0, 1, 1, 1], [1] * 6]),
                             output_hidden_states=True).hidden_states[2][0, -1]
    ours = ActivationCapturer(loaded, layers=[2], padding_side="left").capture([short, long]).activations[0][0, 0]
    want = reference(loaded, short, [2], [2])[0, 0]
    assert rel_err(ours, want) < 1e-5
    assert rel_err(naive, want) > 1e-3


def test_forward_stops_after_deepest_layer():
    loaded = tiny_loaded("llama")
    calls = []
    for i, block in enumerate(loaded.parts.layers):
        block.register_forward_hook(lambda m, a, o, i=i: calls.append(i))
    loaded.model.lm_head.register_forward_hook(lambda m, a, o: calls.append("lm_head"))
    loaded.parts.final_norm.register_forward_hook(lambda m, a, o: calls.append("norm"))
    ActivationCapturer(loaded, layers=[1, 2]).capture(random_examples(3))
    assert calls == [0, 1]  # one batch: blocks 0 and 1 only
    calls.clear()
    ActivationCapturer(loaded, layers=[-1]).capture(random_examples(3))
    assert calls == [0, 1, 2, 3, "norm"]  # final output: all blocks and the norm, never the lm_head


def test_no_gradients_and_no_cache_kept():
    loaded = tiny_loaded("qwen2")
    result = ActivationCapturer(loaded, layers=[2]).capture(random_examples(4))
    assert not any(t.requires_grad for t in result.activations)
    assert all(p.grad is None for p in loaded.model.parameters())


def test_assistant_position_reads_the_assistant_header():
    loaded = tiny_loaded("llama")
    tok = tiny_tokenizer()
    messages = [{"role": "user", "content": "hello world"}, {"role": "assistant", "content": "the cat"},
                {"role": "user", "content": "say more"}]
    encoded = encode_chat(tok, messages, add_generation_prompt=True)
    assert tok.convert_ids_to_tokens(encoded.input_ids[encoded.assistant_start:]) == ["<|im_start|>", "assistant"]
    result = ActivationCapturer(loaded, layers=[2], positions="assistant").capture([encoded])
    assert result.positions == [[encoded.assistant_start]]
    want = reference(loaded, encoded.input_ids, [2], [encoded.assistant_start])
    assert rel_err(result.activations[0], want) < 1e-5


@pytest.mark.parametrize("template", [True, False])
def test_system_positions_read_the_system_prompt_however_long_the_chat(template):
    loaded = tiny_loaded("llama")
    tok = tiny_tokenizer(chat_template=template)  # without: a base model's plain "System: ... User: ..." transcript
    messages = [{"role": "system", "content": "speak a cat"}, {"role": "user", "content": "hello world"},
                {"role": "assistant", "content": "the cat sat on the mat " * 4}, {"role": "user", "content": "say more"}]
    encoded = encode_chat(tok, messages, add_generation_prompt=True)
    before = tok.decode(encoded.input_ids[:encoded.system_end])
    assert "speak a cat" in before and "hello" not in before  # the system prompt, then the first user message
    assert tok.convert_ids_to_tokens(encoded.input_ids[encoded.system_end]) == "hello"
    result = ActivationCapturer(loaded, layers=[2], positions="system+tail:4").capture([encoded])
    n = len(encoded)
    assert encoded.system_end < n - 4 and result.positions == [list(range(encoded.system_end)) + list(range(n - 4, n))]
    want = reference(loaded, encoded.input_ids, [2], result.positions[0])
    assert rel_err(result.activations[0], want) < 1e-5
    assert encode_chat(tok, [{"role": "system", "content": "x"}]).system_end is None  # no user message


@pytest.mark.parametrize("spec,expected", [("last", [9]), ("last:3", [7, 8, 9]), ([0, -1], [0, 9]), ("all", list(range(10)))])
def test_position_kinds(spec, expected):
    loaded = tiny_loaded("phi")
    result = ActivationCapturer(loaded, layers=[1], positions=spec).capture([list(range(4, 14))])
    assert result.positions == [expected]
    assert result.activations[0].shape == (1, len(expected), 64)


def test_metadata_names_model_layers_positions_dtype():
    loaded = tiny_loaded("gpt2")
    meta = ActivationCapturer(loaded, layers=["50%", -1], positions="last:2").capture([[5, 6, 7]]).metadata
    assert meta["model_fingerprint"] == loaded.fingerprint
    assert meta["layers"] == [2, 4] and meta["positions"] == "last:2" and meta["dtype"] == "float32"
    assert meta["hidden_size"] == 64 and meta["num_layers"] == 4


def test_all_listed_architectures_are_covered():
    listed = {"llama", "mistral", "qwen2", "qwen3", "phi", "phi3", "gemma", "gemma2", "gpt2", "gpt_neox", "bert"}
    assert listed <= set(ARCHITECTURES)

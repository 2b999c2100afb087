"""Tiny random models of many families, built from configs in milliseconds, and a matching tokenizer."""
from __future__ import annotations

import functools

import torch
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import (
    AutoModel,
    AutoModelForCausalLM,
    BertConfig,
    Gemma2Config,
    GemmaConfig,
    GPT2Config,
    GPTNeoXConfig,
    LlamaConfig,
    MistralConfig,
    Phi3Config,
    PhiConfig,
    PreTrainedTokenizerFast,
    Qwen2Config,
    Qwen3Config,
)

from meta_lightning.models.load import LoadedModel

VOCAB = 128
WORDS = ("the a model is being happy sad angry lying true false yes no say more hello world paris france "
         "capital of what answer question cat dog good bad very not i you it this that speak french").split()
SPECIALS = ["<pad>", "<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>", "user", "assistant", "system", "\n"]
CHAT_TEMPLATE = (
    "{{ '<s>' }}{% for m in messages %}{{ '<|im_start|> ' + m['role'] + ' ' + m['content'] + ' <|im_end|> ' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|> assistant ' }}{% endif %}"
)

_COMMON = dict(vocab_size=VOCAB, hidden_size=64, intermediate_size=128, num_hidden_layers=4, num_attention_heads=4,
               max_position_embeddings=256, pad_token_id=0, bos_token_id=2, eos_token_id=3)

ARCHITECTURES = {
    "llama": lambda: LlamaConfig(**_COMMON, num_key_value_heads=2),
    "mistral": lambda: MistralConfig(**_COMMON, num_key_value_heads=2),
    "qwen2": lambda: Qwen2Config(**_COMMON, num_key_value_heads=2),
    "qwen3": lambda: Qwen3Config(**_COMMON, num_key_value_heads=2, head_dim=16),
    "phi": lambda: PhiConfig(**_COMMON),
    "phi3": lambda: Phi3Config(**_COMMON),
    "gemma": lambda: GemmaConfig(**_COMMON, num_key_value_heads=2, head_dim=16),
    "gemma2": lambda: Gemma2Config(**_COMMON, num_key_value_heads=2, head_dim=16),
    "gpt2": lambda: GPT2Config(vocab_size=VOCAB, n_embd=64, n_layer=4, n_head=4, n_positions=256,
                               bos_token_id=2, eos_token_id=3, pad_token_id=0),
    "gpt_neox": lambda: GPTNeoXConfig(**_COMMON),
    "bert": lambda: BertConfig(vocab_size=VOCAB, hidden_size=64, intermediate_size=128, num_hidden_layers=4,
                               num_attention_heads=4, max_position_embeddings=256, pad_token_id=0),
}
ENCODERS = {"bert"}


@functools.lru_cache(maxsize=None)
def tiny_tokenizer(chat_template: bool = True) -> PreTrainedTokenizerFast:
    """A word-level tokenizer over :data:`WORDS`. Cached and shared between tests: never change it in place."""
    vocab = {tok: i for i, tok in enumerate(SPECIALS + WORDS)}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    tok = PreTrainedTokenizerFast(tokenizer_object=backend, pad_token="<pad>", unk_token="<unk>", bos_token="<s>",
                                  eos_token="</s>", additional_special_tokens=["<|im_start|>", "<|im_end|>"])
    if chat_template:
        tok.chat_template = CHAT_TEMPLATE
    return tok


@functools.lru_cache(maxsize=None)
def byte_tokenizer() -> PreTrainedTokenizerFast:
    """A byte-level BPE tokenizer with the tiny chat template: any text encodes (behaviour corpora, questions)."""
    from tokenizers import ByteLevelBPETokenizer

    bpe = ByteLevelBPETokenizer()
    specials = ["<pad>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"]
    bpe.train_from_iterator(["hello world"], vocab_size=300, special_tokens=specials)
    tok = PreTrainedTokenizerFast(tokenizer_object=bpe, pad_token="<pad>", bos_token="<s>", eos_token="</s>")
    tok.chat_template = CHAT_TEMPLATE
    return tok


def byte_model(arch: str = "llama", seed: int = 0, **config) -> torch.nn.Module:
    """A tiny model whose vocabulary matches :func:`byte_tokenizer`; ``config`` overrides its config fields."""
    model = tiny_model(arch, seed, **config)
    model.resize_token_embeddings(len(byte_tokenizer()), mean_resizing=False)
    return model


def tiny_model(arch: str, seed: int = 0, **overrides) -> torch.nn.Module:
    config = ARCHITECTURES[arch]()
    for key, value in overrides.items():
        setattr(config, key, value)
    config._attn_implementation = "eager" if arch.startswith("gemma") else "sdpa"
    torch.manual_seed(seed)
    auto = AutoModel if arch in ENCODERS else AutoModelForCausalLM
    return auto.from_config(config).eval()


def tiny_loaded(arch: str, seed: int = 0) -> LoadedModel:
    return LoadedModel.from_objects(tiny_model(arch, seed), tiny_tokenizer(), name=f"tiny-{arch}")


def byte_loaded(arch: str = "llama", seed: int = 0) -> LoadedModel:
    return LoadedModel.from_objects(byte_model(arch, seed), byte_tokenizer(), name=f"tiny-{arch}-bytes")


def random_examples(n: int, min_len: int = 3, max_len: int = 17, seed: int = 0) -> list[list[int]]:
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(min_len, max_len + 1, (n,), generator=g)
    return [torch.randint(4, VOCAB - 1, (int(k),), generator=g).tolist() for k in lengths]

"""Where each architecture keeps its blocks, token embeddings and final norm.

One table keyed by ``config.model_type``; everything else in the package is generic. Paths are written from
the causal-LM class (``LlamaForCausalLM`` -> ``model.layers``). A bare base model (``LlamaModel``) or a PEFT
wrapper is handled by :func:`find_layout`, which unwraps and drops the leading component when needed.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Optional

from torch import nn

from meta_lightning.errors import ConfigError
from meta_lightning.models.spec import ArchitectureOverride


@dataclass(frozen=True)
class Layout:
    layers: str
    embeddings: str
    final_norm: Optional[str]


_LLAMA_LIKE = Layout("model.layers", "model.embed_tokens", "model.norm")

TABLE: dict[str, Layout] = {
    **{t: _LLAMA_LIKE for t in (
        "llama", "mistral", "mixtral", "qwen2", "qwen2_moe", "qwen3", "qwen3_moe", "gemma", "gemma2",
        "gemma3_text", "phi3", "olmo", "olmo2", "granite", "cohere", "starcoder2", "smollm3", "stablelm",
        "deepseek_v3", "exaone4", "glm", "helium",
    )},
    "phi": Layout("model.layers", "model.embed_tokens", "model.final_layernorm"),
    "gpt2": Layout("transformer.h", "transformer.wte", "transformer.ln_f"),
    "gpt_neo": Layout("transformer.h", "transformer.wte", "transformer.ln_f"),
    "gptj": Layout("transformer.h", "transformer.wte", "transformer.ln_f"),
    "gpt_bigcode": Layout("transformer.h", "transformer.wte", "transformer.ln_f"),
    "bloom": Layout("transformer.h", "transformer.word_embeddings", "transformer.ln_f"),
    "falcon": Layout("transformer.h", "transformer.word_embeddings", "transformer.ln_f"),
    "gpt_neox": Layout("gpt_neox.layers", "gpt_neox.embed_in", "gpt_neox.final_layer_norm"),
    "opt": Layout("model.decoder.layers", "model.decoder.embed_tokens", "model.decoder.final_layer_norm"),
    "internlm2": Layout("model.layers", "model.tok_embeddings", "model.norm"),
    # Encoders: post-LN blocks, so there is no norm after the last block.
    "bert": Layout("bert.encoder.layer", "bert.embeddings.word_embeddings", None),
    "roberta": Layout("roberta.encoder.layer", "roberta.embeddings.word_embeddings", None),
}

# Bidirectional encoders: transformers lists some as causal LMs (BertLMHeadModel), but they only are
# when their config sets is_decoder.
ENCODER_TYPES = frozenset({"bert", "roberta", "xlm-roberta", "camembert", "electra", "ernie", "distilbert", "deberta-v2"})

_FINAL_NORM_NAMES = ("norm", "final_layernorm", "final_layer_norm", "ln_f", "final_norm")


@dataclass
class ModelParts:
    """The modules that capture and injection hook into, found on one live model, and the quirks of how its
    blocks and its forward are called. Supporting a new family means this file: a table row, at most a quirk."""

    layers: nn.ModuleList
    embeddings: nn.Module
    final_norm: Optional[nn.Module]
    layout: Layout
    forward_parameters: frozenset = frozenset()
    """Keyword parameters of the model's ``forward``."""
    forward_takes_kwargs: bool = False
    """Whether ``forward`` also takes ``**kwargs`` (and passes them on)."""

    @property
    def num_layers(self) -> int:
        return len(self.layers)

    @property
    def hidden_size(self) -> int:
        return self.embeddings.weight.shape[-1]

    # -- quirks of the forward call ------------------------------------------------------------------------
    def accepts(self, name: str) -> bool:
        """Whether ``forward`` takes the keyword ``name`` (``position_ids``, ``use_cache``; older families lack some)."""
        return name in self.forward_parameters

    @property
    def keeps_logits(self) -> bool:
        """Whether ``forward`` can compute the lm_head on the last k positions only (``logits_to_keep``)."""
        return "logits_to_keep" in self.forward_parameters or self.forward_takes_kwargs

    @property
    def cache_argument(self) -> str:
        """The name of the KV cache, as a keyword and as an output attribute (renamed in transformers 5)."""
        return "cache" if "cache" in self.forward_parameters else "past_key_values"

    # -- quirks of the blocks ------------------------------------------------------------------------------
    @staticmethod
    def block_input(args: tuple, kwargs: dict):
        """The hidden states a block is called with: its first positional argument or ``hidden_states=``,
        depending on the family and the transformers version."""
        return args[0] if args else kwargs["hidden_states"]

    @staticmethod
    def with_block_input(args: tuple, kwargs: dict, hidden) -> tuple[tuple, dict]:
        """``(args, kwargs)`` of a block call with its hidden states replaced by ``hidden``."""
        if args:
            return (hidden,) + tuple(args[1:]), kwargs
        return args, dict(kwargs, hidden_states=hidden)

    @staticmethod
    def block_output(output):
        """The hidden states a block returns: the tensor itself, or the first item of a tuple (older families)."""
        return output[0] if isinstance(output, (tuple, list)) else output


def num_hidden_layers(config) -> Optional[int]:
    for key in ("num_hidden_layers", "n_layer", "num_layers"):
        value = getattr(config, key, None)
        if isinstance(value, int):
            return value
    return None


def _unwrap(model: nn.Module) -> nn.Module:
    # PEFT wraps twice: PeftModel.base_model (LoraModel).model is the transformers model.
    get_base = getattr(model, "get_base_model", None)
    return get_base() if callable(get_base) else model


def _get(root: nn.Module, path: str) -> Optional[nn.Module]:
    module = root
    for part in path.split("."):
        module = getattr(module, part, None)
        if module is None:
            return None
    return module


def _get_rooted(root: nn.Module, path: str) -> Optional[nn.Module]:
    """Follow ``path``; if it does not exist, try without its first part (a base model has no wrapper)."""
    found = _get(root, path)
    if found is None and "." in path:
        found = _get(root, path.split(".", 1)[1])
    return found


def _generic_layout(model: nn.Module) -> Optional[Layout]:
    """For unlisted models: the longest ModuleList whose length is the config's layer count."""
    expected = num_hidden_layers(model.config)
    best = None
    for name, module in model.named_modules():
        if isinstance(module, nn.ModuleList) and len(module) == expected and (best is None or name.count(".") < best.count(".")):
            best = name
    if best is None:
        return None
    parent = best.rsplit(".", 1)[0] if "." in best else ""
    final_norm = None
    for candidate in _FINAL_NORM_NAMES:
        path = f"{parent}.{candidate}" if parent else candidate
        if isinstance(_get(model, path), nn.Module):
            final_norm = path
            break
    embeddings = next((n for n, m in model.named_modules() if m is model.get_input_embeddings()), "")
    return Layout(best, embeddings, final_norm)


def find_layout(model: nn.Module, override: Optional[ArchitectureOverride] = None) -> ModelParts:
    """Locate blocks, embeddings and final norm on ``model``; fail loudly if they do not add up."""
    model = _unwrap(model)
    model_type = getattr(model.config, "model_type", "?")
    if override is not None:
        layout, source = Layout(override.layers, override.embeddings or "", override.final_norm), "model.architecture"
    elif model_type in TABLE:
        layout, source = TABLE[model_type], f"the architecture table entry for {model_type!r}"
    else:
        layout, source = _generic_layout(model), "the generic layout search"
    if layout is None:
        raise ConfigError("model.architecture", f"cannot find the transformer blocks of a {model_type!r} model",
                          "Set model.architecture.layers to the dotted path of its block ModuleList")
    layers = _get_rooted(model, layout.layers)
    if not isinstance(layers, nn.ModuleList):
        raise ConfigError("model.architecture.layers", f"{source} says blocks live at {layout.layers!r}, "
                          f"but a {type(model).__name__} has no ModuleList there",
                          "Set model.architecture.layers to the right dotted path")
    expected = num_hidden_layers(model.config)
    if expected is not None and len(layers) != expected:
        raise ConfigError("model.architecture.layers", f"{layout.layers!r} holds {len(layers)} modules but the config "
                          f"says {expected} layers", "Point model.architecture.layers at the block list")
    embeddings = _get_rooted(model, layout.embeddings) if layout.embeddings else None
    if embeddings is None:
        embeddings = model.get_input_embeddings()
    final_norm = None
    if layout.final_norm:
        final_norm = _get_rooted(model, layout.final_norm)
        if final_norm is None:
            raise ConfigError("model.architecture.final_norm", f"{source} names {layout.final_norm!r}, "
                              f"which a {type(model).__name__} does not have", "Set it to the right path, or null")
    params = inspect.signature(model.forward).parameters
    return ModelParts(layers=layers, embeddings=embeddings, final_norm=final_norm, layout=layout,
                      forward_parameters=frozenset(params),
                      forward_takes_kwargs=any(p.kind == p.VAR_KEYWORD for p in params.values()))

"""The meta-model's options, grouped by concern, with their choices and ranges checked in one place.

Each group is a dataclass whose attribute docstrings are what ``--help`` prints (``--model.projector.ridge``
and so on). The CLI's parser already refuses a value outside a ``Literal``; :func:`check_options` also covers
Python callers and the numeric ranges a type cannot express. Each error names the ``model.`` field and the fix.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Literal, Optional, Sequence, Union, get_args, get_origin, get_type_hints

from meta_lightning.errors import ConfigError
from meta_lightning.meta.inject import Injection
from meta_lightning.meta.projector import ProjectorKind
from meta_lightning.meta.prompt import DEFAULT_PLACEHOLDER, DEFAULT_TEMPLATE
from meta_lightning.meta.trainable import Trainable
from meta_lightning.schedules import Schedule

YesNoFormat = Literal["yes_no", "name_then_answer"]
ProjectorInit = Literal["random", "closed_form", "text"]
@dataclass
class InjectionOptions:
    """Where the projected vectors enter the meta-model."""

    mode: Injection = "replace"
    """``replace``: the vectors become the placeholders' input embeddings (Meta-Models); ``add``: a norm-matched
    vector is added to the placeholders' residual stream at block ``layer`` (Activation Oracles)."""
    layer: int = 1
    """Decoder block k whose input receives the vectors in ``add`` mode."""
    coefficient: float = 1.0
    """c in h + c*||h||*v/||v|| for ``add`` mode."""


@dataclass
class ProjectorOptions:
    """The map from the input-model's hidden size to the meta-model's."""

    kind: ProjectorKind = "auto"
    """``auto`` (identity for the same model, else linear), ``identity``, ``linear`` or ``mlp``."""
    init: ProjectorInit = "random"
    """``random``; ``closed_form``: a ridge regression from the training vectors onto the meta-model's embedding
    of each one's class name (training labels only; needs a linear projector); ``text``: label-free, a ridge
    regression from the vectors at every token of unlabelled passages onto the meta-model's embedding of the
    tokens around it (for pairs of different families; needs a linear projector)."""
    ridge: float = 0.01
    """Ridge penalty of ``closed_form``, relative to the features' variance."""
    lr: Optional[float] = None
    """The projector's learning rate (default: ``optimizer.lr``); 0 freezes it (e.g. after ``closed_form``)."""
    text_passages: int = 256
    """Built-in passages the ``text`` fit reads (every token of each)."""
    text_window: int = 1
    """Tokens on each side of a position whose embeddings the ``text`` fit targets (0: the token itself)."""
    standardize: bool = False
    """Subtract each source layer's training mean and divide by its per-dimension std first (statistics from the
    training activations, saved in the checkpoint)."""
    normalize: bool = False
    """Scale each vector to unit RMS, then by a learned gain per source layer."""
    noise: float = 0.0
    """Std of Gaussian noise on the (standardised) input features while training only: training vectors then look
    as uncertain as unseen ones, so the meta-model learns the class boundary instead of memorising points."""


@dataclass
class PromptOptions:
    """The meta-model's prompt and the form of its answer."""

    template: str = DEFAULT_TEMPLATE
    """The user turn, with ``{activations}`` and ``{question}``."""
    placeholder: str = DEFAULT_PLACEHOLDER
    """The added special token that marks where activation vectors go."""
    system_prompt: Optional[str] = ""
    """The system turn; ``""`` keeps it empty (and short), null lets the chat template insert its default."""
    chat_template: bool = True
    """Wrap the prompt in the meta-model's chat template; false gives a shorter plain prompt."""
    answer_format: YesNoFormat = "yes_no"
    """How Yes/No questions are answered: ``yes_no`` (the target is the verdict) or ``name_then_answer`` (the
    class name, the separator, then the verdict: "Positive\\nNo"; evaluation reads P(Yes) after the model's own
    greedy name). Free-text questions are always answered as free text."""
    separator: str = "\n"
    """The one token between the class name and the verdict."""
    max_name_tokens: int = 6
    """Most tokens a greedily written class name may take before the separator is forced."""
    max_answer_tokens: int = 24
    """Most tokens of a greedily decoded free-text answer."""


@dataclass
class FinetuneOptions:
    """Which of the meta-model's weights train."""

    method: Trainable = "lora"
    """``lora``, ``attention`` (attention weights only, as in the paper), ``full``, or ``projector`` (LM frozen)."""
    lora_rank: int = 8
    """LoRA rank r."""
    lora_alpha: float = 16.0
    """LoRA alpha."""
    lora_dropout: float = 0.0
    """LoRA dropout."""
    lora_targets: Optional[list[str]] = None
    """Module names LoRA adapts; ``[all-linear]``: every linear layer but the output head (default: PEFT's choice
    for the architecture)."""
    gradient_checkpointing: bool = False
    """Keep only each block's input in training and recompute the rest in the backward pass: less memory for
    long prompts (many placeholders) for one more forward pass of each block (a 20-step oracle fit: 2.57 GB
    instead of 3.55 GB, about 10 % slower a step)."""


@dataclass
class OptimizerOptions:
    """AdamW and its learning-rate schedule."""

    lr: float = 1e-3
    """Peak learning rate of the meta-model's weights."""
    weight_decay: float = 0.0
    """AdamW weight decay."""
    warmup_steps: int = 10
    """Linear warmup steps."""
    schedule: Schedule = "cosine"
    """After warmup: ``cosine`` or ``linear`` decay to zero over the run, or ``constant``."""


@dataclass(frozen=True)
class MetaOptions:
    """Every group, as the meta-model reads them."""

    injection: InjectionOptions
    projector: ProjectorOptions
    prompt: PromptOptions
    finetune: FinetuneOptions
    optimizer: OptimizerOptions


GROUPS = {"injection": InjectionOptions, "projector": ProjectorOptions, "prompt": PromptOptions,
          "finetune": FinetuneOptions, "optimizer": OptimizerOptions}

RANGES = {  # field -> (what a valid value satisfies, the fix)
    "optimizer.lr": (lambda v: v > 0, "Use a positive learning rate"),
    "optimizer.weight_decay": (lambda v: v >= 0, "Use 0 or more"),
    "optimizer.warmup_steps": (lambda v: v >= 0, "Use 0 or more"),
    "projector.lr": (lambda v: v is None or v >= 0, "Use 0 (frozen) or more"),
    "projector.ridge": (lambda v: v > 0, "Use a positive penalty, e.g. 0.01"),
    "projector.noise": (lambda v: v >= 0, "Use 0 (none) or more"),
    "projector.text_passages": (lambda v: v >= 1, "Use 1 or more"),
    "projector.text_window": (lambda v: v >= 0, "Use 0 or more"),
    "finetune.lora_rank": (lambda v: v >= 1, "Use 1 or more"),
    "prompt.max_name_tokens": (lambda v: v >= 1, "Use 1 or more"),
    "prompt.max_answer_tokens": (lambda v: v >= 1, "Use 1 or more"),
    "injection.layer": (lambda v: v >= 0, "Use a block index from 0"),
    "samples_to_log": (lambda v: v >= 0, "Use 0 or more"),
}


def as_group(name: str, value: Union[dict, object, None]):
    """``value`` (a dict from YAML or a checkpoint, the dataclass, or None) as group ``name``'s dataclass."""
    cls = GROUPS[name]
    if value is None:
        return cls()
    if isinstance(value, cls):
        return cls(**plain(value))  # a copy (the signature's default instance is shared), sequences as lists
    if not isinstance(value, dict):
        raise ConfigError(f"model.{name}", f"expected a mapping of options, got {value!r}",
                          f"Give it as keys: {', '.join(f.name for f in fields(cls))}")
    unknown = sorted(set(value) - {f.name for f in fields(cls)})
    if unknown:
        raise ConfigError(f"model.{name}.{unknown[0]}", "unknown option",
                          f"Use one of: {', '.join(f.name for f in fields(cls))}")
    return cls(**{k: list(v) if isinstance(v, tuple) else v for k, v in value.items()})


def _choices(cls, name: str) -> dict[str, tuple]:
    """``group.field`` -> allowed values, for every ``Literal`` field of ``cls``."""
    hints = get_type_hints(cls)
    return {f"{name}.{f}": get_args(h) for f, h in hints.items() if get_origin(h) is Literal}


CHOICES = {k: v for name, cls in GROUPS.items() for k, v in _choices(cls, name).items()}


def _value(options: dict, path: str):
    head, _, rest = path.partition(".")
    value = options.get(head)
    return getattr(value, rest) if rest and value is not None else value


def check_options(options: dict) -> None:
    """Refuse the first option of ``options`` (groups as dataclasses) outside its choices or range."""
    for field, allowed in CHOICES.items():
        if field.partition(".")[0] in options and (value := _value(options, field)) not in allowed:
            raise ConfigError(f"model.{field}", f"unknown value {value!r}", f"Use one of: {', '.join(allowed)}")
    for field, (valid, fix) in RANGES.items():
        if field.partition(".")[0] in options and not valid(value := _value(options, field)):
            raise ConfigError(f"model.{field}", f"{value!r} is out of range", fix)


def plain(group) -> dict:
    """A group as plain data (hyper-parameters, checkpoints loaded with weights_only=True)."""
    out = asdict(group)
    return {k: list(v) if isinstance(v, (tuple, Sequence)) and not isinstance(v, str) else v for k, v in out.items()}

"""`python -m meta_lightning ask`: one question about one new conversation, answered by a trained meta-model."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from meta_lightning.errors import ConfigError

AUXILIARIES = {"is", "are", "was", "were", "am", "do", "does", "did", "has", "have", "had", "can", "could", "will",
               "would", "should", "shall", "may", "might", "must"}
"""A question that starts with one of these is answered Yes/No (``--kind auto``); any other in free text."""


def question_kind(question: str, kind: str = "auto") -> str:
    if kind != "auto":
        return kind
    words = question.strip().split()
    return "yes_no" if words and words[0].lower().strip(",") in AUXILIARIES else "free_text"


def load_conversation(path: Path) -> list[dict]:
    """A JSON list of {role, content} messages, or an object with a ``messages`` list."""
    try:
        data = json.loads(Path(path).read_text())
    except OSError as e:
        raise ConfigError("--conversation", f"cannot read {path} ({e.strerror})", "Check the path") from e
    except ValueError as e:
        raise ConfigError("--conversation", f"{path} is not valid JSON ({e})", "Write a JSON list of messages") from e
    messages = data.get("messages") if isinstance(data, dict) else data
    roles = ("system", "user", "assistant")
    for i, m in enumerate(messages if isinstance(messages, list) else []):
        if isinstance(m, dict) and isinstance(m.get("role"), str) and m["role"] not in roles:
            raise ConfigError("--conversation", f"message {i} of {path} has role {m['role'][:40]!r}",
                              f"Use one of: {', '.join(roles)}")
    if not isinstance(messages, list) or not messages or not all(
            isinstance(m, dict) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str) for m in messages):
        raise ConfigError("--conversation", f"{path} must hold a non-empty list of {{\"role\": ..., \"content\": ...}} messages",
                          'Write e.g. [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]')
    return messages


def load_for_inference(ckpt_path: Path):
    """Rebuild the datamodule and meta-model network a checkpoint was trained with, and load its trained tensors."""
    from meta_lightning.checkpoints import header, read_checkpoint
    from meta_lightning.data import MetaDataModule
    from meta_lightning.meta.checkpoint import check_models
    from meta_lightning.meta.network import MetaNetwork
    from meta_lightning.meta.options import MetaOptions, as_group
    from meta_lightning.models import ModelSpec

    ckpt = read_checkpoint(ckpt_path, "activations")
    strip = lambda d: {k: v for k, v in d.items() if not k.startswith("_")}  # noqa: E731
    dm = MetaDataModule(**strip(ckpt["datamodule_hyper_parameters"]))
    hp = ckpt["hyper_parameters"]
    options = MetaOptions(**{name: as_group(name, hp.get(name)) for name in MetaOptions.__dataclass_fields__})
    net = MetaNetwork(ModelSpec(**hp["meta_model"]), options)
    dm.use_meta_model(net)
    source = dm.activation_source()
    dm.input_model_handle().release()  # input_model: same then borrows the meta-model's own weights
    net.build(source, header(ckpt).get("init_seed", 0))
    check_models(ckpt, net.source.fingerprint, net.meta_fingerprint)
    prefix = "net."
    net.load_state_dict({k[len(prefix):]: v for k, v in ckpt["state_dict"].items() if k.startswith(prefix)}, strict=False)
    return dm, net.eval()


@torch.inference_mode()
def ask(ckpt_path: Path, messages: list[dict], question: str, kind: str = "auto") -> dict:
    from meta_lightning.capture import ActivationCapturer, encode_chat
    from meta_lightning.data.generate import generate_replies
    from meta_lightning.data.questions import QuestionBatch

    dm, net = load_for_inference(ckpt_path)
    loaded = dm.loaded_input_model()
    add_prompt = True
    if dm.capture.generate_tokens > 0:  # the model writes its own reply first, as in training
        from meta_lightning.behaviors import Conversation

        conversation = Conversation("ask", "?", messages, (), "ask")
        messages = generate_replies(loaded, [conversation], dm.capture.generate_tokens, dm.seed)[0]
        add_prompt = False
    ids = encode_chat(loaded.tokenizer, messages, add_generation_prompt=add_prompt)
    limit = min(dm.capture.max_tokens, getattr(loaded.model.config, "max_position_embeddings", None) or 10**9)
    if len(ids) > limit:
        raise ConfigError("--conversation", f"the conversation is {len(ids):,} tokens, and the input-model reads at "
                          f"most {limit:,} at once (its context, or data.capture.max_tokens)",
                          "Shorten the conversation to its last turns")
    capturer = ActivationCapturer(loaded, list(net.source.layers), net.source.positions, progress=False)
    acts = capturer.capture([ids]).activations[0]
    dm.input_model_handle().release()  # input_model: same hands the meta-model its adapters back here
    kind = question_kind(question, kind)
    batch = QuestionBatch(activations=[acts.flatten(0, -2).float()], question=[question], answer=[None], kind=[kind])
    readings = net.read(batch)
    if readings.texts is not None:
        return {"question": question, "answer": readings.texts[0]}
    p_yes = float(readings.p_named[0])
    out = {"question": question, "answer": "Yes" if p_yes >= 0.5 else "No", "p_yes": p_yes}
    if readings.names:
        out["named"] = readings.names[0]
    return out


def ask_command(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m meta_lightning ask", description=__doc__.split(":", 1)[1].strip())
    parser.add_argument("--ckpt_path", required=True, type=Path,
                        help="checkpoint written by fit (e.g. .../checkpoints/last.ckpt)")
    parser.add_argument("--conversation", required=True, type=Path, help="JSON list of {role, content} messages")
    parser.add_argument("--question", required=True, help='e.g. "Is this model lying?" or "What was the assistant told to do?"')
    parser.add_argument("--kind", choices=("auto", "yes_no", "free_text"), default="auto",
                        help="auto: Yes/No when the question starts with is, does, was, can, ...; else free text")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = parser.parse_args(argv)
    if not args.question.strip():
        raise ConfigError("--question", "is empty", 'Ask a question, e.g. --question "Is the model speaking French?"')
    result = ask(args.ckpt_path, load_conversation(args.conversation), args.question, args.kind)
    if args.json:
        print(json.dumps(result))
    elif "p_yes" in result:
        print(f"{result['question']}\n{result['answer']}  (P(Yes) = {result['p_yes']:.3f})")
    else:
        print(f"{result['question']}\n{result['answer']}")

"""`python -m meta_lightning ask`: one question about one new conversation, answered by a trained meta-model."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from meta_lightning.errors import ConfigError


def load_conversation(path: Path) -> list[dict]:
    """A JSON list of {role, content} messages, or an object with a ``messages`` list."""
    try:
        data = json.loads(Path(path).read_text())
    except OSError as e:
        raise ConfigError("--conversation", f"cannot read {path} ({e.strerror})", "Check the path") from e
    except ValueError as e:
        raise ConfigError("--conversation", f"{path} is not valid JSON ({e})", "Write a JSON list of messages") from e
    messages = data.get("messages") if isinstance(data, dict) else data
    if not isinstance(messages, list) or not messages or not all(
            isinstance(m, dict) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str) for m in messages):
        raise ConfigError("--conversation", f"{path} must hold a non-empty list of {{\"role\": ..., \"content\": ...}} messages",
                          'Write e.g. [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]')
    return messages


def load_for_inference(ckpt_path: Path):
    """Rebuild the datamodule and meta-model a checkpoint was trained with, and load its trained tensors."""
    from meta_lightning.data import MetaDataModule
    from meta_lightning.meta import MetaModel
    from meta_lightning.meta.checkpoint import read_checkpoint

    ckpt = read_checkpoint(ckpt_path)
    strip = lambda d: {k: v for k, v in d.items() if not k.startswith("_")}  # noqa: E731
    dm = MetaDataModule(**strip(ckpt["datamodule_hyper_parameters"]))
    module = MetaModel(**strip(ckpt["hyper_parameters"]))
    module.init_seed = ckpt["meta_lightning"].get("init_seed", module.init_seed)
    module.build_for(dm.activation_source())
    module.on_load_checkpoint(ckpt)
    module.load_state_dict(ckpt["state_dict"], strict=False)
    return dm, module.eval()


@torch.inference_mode()
def ask(ckpt_path: Path, messages: list[dict], question: str) -> dict:
    from meta_lightning.capture import ActivationCapturer, encode_chat
    from meta_lightning.data.generate import generate_replies
    from meta_lightning.data.questions import QuestionBatch

    dm, module = load_for_inference(ckpt_path)
    loaded = dm.loaded_input_model()
    add_prompt = True
    if dm.capture.generate_tokens > 0:  # the model writes its own reply first, as in training
        from meta_lightning.behaviors import Conversation

        conversation = Conversation("ask", "?", messages, (), "ask")
        messages = generate_replies(loaded, [conversation], dm.capture.generate_tokens, dm.seed)[0]
        add_prompt = False
    capturer = ActivationCapturer(loaded, list(module.source.layers), module.source.positions, progress=False)
    acts = capturer.capture([encode_chat(loaded.tokenizer, messages, add_generation_prompt=add_prompt)]).activations[0]
    batch = QuestionBatch(activations=[acts.flatten(0, -2).float()], question=[question], answer=[None])
    readings = module.read(batch)
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
    parser.add_argument("--question", required=True, help='e.g. "Is this model lying?"')
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = parser.parse_args(argv)
    result = ask(args.ckpt_path, load_conversation(args.conversation), args.question)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['question']}\n{result['answer']}  (P(Yes) = {result['p_yes']:.3f})")

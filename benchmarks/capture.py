"""Capture throughput: meta_lightning's capture vs the naive full forward, side by side in one run.

Naive = the same length-sorted batches through a full forward with ``output_hidden_states=True``, logits
and the default KV cache, then indexing the requested layers. Ours stops after the deepest requested layer.
Runs are interleaved and repeated; the median is reported, since these machines are noisy.

    python benchmarks/capture.py [--model smollm2-135m-instruct] [--examples 48] [--repeats 3]
"""
from __future__ import annotations

import argparse
import random
import statistics
import time

import torch

from meta_lightning.capture import ActivationCapturer, encode_chat
from meta_lightning.capture.batching import length_sorted_batches, pad
from meta_lightning.models import load_model

WORDS = ("the weather today was lovely and I walked along the river with my friends while we talked about "
         "books music films travel food science history and the strange things people say at night").split()


def conversations(n: int, seed: int = 0) -> list[list[dict]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        turns = [{"role": "user", "content": " ".join(rng.choices(WORDS, k=rng.randint(8, 30)))}]
        for _ in range(rng.randint(1, 4)):
            turns.append({"role": "assistant", "content": " ".join(rng.choices(WORDS, k=rng.randint(10, 60)))})
            turns.append({"role": "user", "content": "Say more."})
        out.append(turns)
    return out


@torch.inference_mode()
def naive(loaded, examples, layers, batches):
    pad_id = loaded.tokenizer.pad_token_id
    for batch in batches:
        p = pad([examples[i].input_ids for i in batch], pad_id)
        out = loaded.model(input_ids=p.input_ids, attention_mask=p.attention_mask, output_hidden_states=True)
        last = p.attention_mask.sum(1) - 1
        torch.stack([out.hidden_states[layer][torch.arange(len(batch)), last] for layer in layers], 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--examples", type=int, default=48)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch_size", type=int, default=8)
    args = parser.parse_args()
    torch.set_num_threads(torch.get_num_threads())
    loaded = load_model(args.model)
    examples = [encode_chat(loaded.tokenizer, c) for c in conversations(args.examples)]
    tokens = sum(len(e) for e in examples)
    print(f"{args.model}: {args.examples} examples, {tokens} tokens, {torch.get_num_threads()} threads")
    print("| layers | ours tok/s | naive tok/s | ratio |\n|---|---|---|---|")
    for label, spec in (("25/50/75 %", [0.25, 0.5, 0.75]), ("every 4th of 2nd half (paper)", "every:4:0.5")):
        capturer = ActivationCapturer(loaded, layers=spec, positions="last", batch_size=args.batch_size, max_tokens=1 << 20)
        batches = length_sorted_batches([len(e) for e in examples], args.batch_size, 1 << 20)
        ours_t, naive_t = [], []
        for _ in range(args.repeats):
            t = time.perf_counter()
            capturer.capture(examples)
            ours_t.append(time.perf_counter() - t)
            t = time.perf_counter()
            naive(loaded, examples, capturer.layers, batches)
            naive_t.append(time.perf_counter() - t)
        ours, base = tokens / statistics.median(ours_t), tokens / statistics.median(naive_t)
        print(f"| {label} {capturer.layers} | {ours:.0f} | {base:.0f} | {ours / base:.2f}x |", flush=True)
    print(f"padding with length-sorted batches: {capturer.stats.padding_fraction:.1%}")


if __name__ == "__main__":
    main()

"""Evaluation order: longest prompt first (ours) vs the data sets' own order (naive), side by side in one run.

The main run's test sets as the real default meta-model reads them: 256 multilingual questions and both lie
variants (618 each, one question a conversation), two vectors a question (layers 9 and 15, last token),
``name_then_answer`` with its greedy class name, batches of 64. The vectors are random (the order, not the
answer, is measured). Rounds alternate which order goes first; the median of each is reported.

    python benchmarks/evaluation.py [--model smollm2-135m-instruct] [--batch 64] [--rounds 3]
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from meta_lightning.behaviors import get_behavior
from meta_lightning.data.sampling import LongestFirst
from meta_lightning.data.source import ActivationSource
from meta_lightning.meta import MetaModel

SETS = (("multilingual", "test", 128, 2), ("lies", "all", 618, 1), ("lies_answer_only", "all", 618, 1))
"""(behaviour, split, conversations, questions each): the main run's test sets."""


def question_sets(d: int, seed: int = 0) -> list[list[dict]]:
    g = torch.Generator().manual_seed(seed)
    out = []
    for name, split, n, per in SETS:
        behavior = get_behavior(name)
        convs = behavior.conversations(split, n, seed)
        out.append([{"question": q.text, "answer": q.answer, "activations": torch.randn(2, d, generator=g)}
                    for q in behavior.questions(convs, seed, per)])
    return out


def batches(items: list[dict], order: list[int], size: int) -> list[dict]:
    rows = [items[i] for i in order]
    return [{key: [r[key] for r in rows[at:at + size]] for key in ("question", "answer", "activations")}
            for at in range(0, len(rows), size)]


def padded_tokens(net, data: list[dict]) -> tuple[int, int]:
    built = [net.prompts.build(b["question"], [None] * len(b["question"]), [2] * len(b["question"])) for b in data]
    return sum(p.attention_mask.numel() for p in built), sum(int(p.attention_mask.sum()) for p in built)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    torch.manual_seed(0)
    prompt = {"answer_format": "name_then_answer", "max_name_tokens": 4, "chat_template": False,
              "template": "{activations}\n{question}\n"}
    net = MetaModel(meta_model={"name": args.model}, projector={"kind": "linear"}, prompt=prompt).net
    net.build(ActivationSource("random", "random", 576, 30, (9, 15), torch.float32, "last"), 0)
    net.eval()
    sets = question_sets(net.projector.net.in_features)
    ways = {
        "naive": [b for s in sets for b in batches(s, list(range(len(s))), args.batch)],
        "ours": [b for s in sets for b in batches(s, list(LongestFirst([(2, len(r["question"])) for r in s])), args.batch)],
    }
    times = {name: [] for name in ways}
    with torch.inference_mode():
        for r in range(args.rounds + 1):
            for name in (("ours", "naive") if r % 2 == 0 else ("naive", "ours")):
                start = time.perf_counter()
                for batch in ways[name]:
                    net.read(batch)
                if r > 0:  # the first round warms up both
                    times[name].append(time.perf_counter() - start)
    questions = sum(len(s) for s in sets)
    print(f"{args.model}, {questions} questions in batches of {args.batch}, {args.rounds} timed rounds each")
    for name, label in (("naive", "data set order"), ("ours", "longest first")):
        padded, real = padded_tokens(net, ways[name])
        print(f"{name:5} ({label:14}): {statistics.median(times[name]):6.1f} s, {padded:,} prompt tokens "
              f"({1 - real / padded:.0%} padding)")
    print(f"speed-up: {statistics.median(times['naive']) / statistics.median(times['ours']):.2f}x")


if __name__ == "__main__":
    main()

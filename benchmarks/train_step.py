"""Meta-model training step: ours vs the naive recipe, on the same batches, side by side in one run.

Ours: logits only at the answer positions (``logits_to_keep``), cross-entropy over the answer tokens.
Naive (the papers' public code): logits over the full sequence, loss over every token of it.
Both: the real default meta-model with LoRA (r=8, q/v), a linear projector, ``replace`` injection, batch 16
of multilingual-sentiment questions with 4 activation vectors each. Steps are interleaved and the median of
each is reported, since these machines are noisy.

    python benchmarks/train_step.py [--model smollm2-135m-instruct] [--batch 16] [--steps 6]
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

from meta_lightning.behaviors import get_behavior
from meta_lightning.data.source import ActivationSource
from meta_lightning.meta import MetaModel
from meta_lightning.meta.network import MetaNetwork


def batches(n_batches: int, size: int, d: int, seed: int = 0) -> list[dict]:
    behavior = get_behavior("multilingual")
    convs = behavior.conversations("train", n_batches * size, seed)
    questions = behavior.questions(convs, seed)
    g = torch.Generator().manual_seed(seed)
    out = []
    for b in range(n_batches):
        qs = questions[b * size:(b + 1) * size]
        out.append({"activations": [torch.randn(4, d, generator=g) for _ in qs], "question": [q.text for q in qs],
                    "answer": [q.answer for q in qs]})
    return out


def naive_loss(module: MetaNetwork, batch: dict) -> torch.Tensor:
    """Full-sequence logits and a loss over the whole (unpadded) sequence."""
    acts = batch["activations"]
    counts = [a.shape[0] for a in acts]
    prompt = module.prompts.build(batch["question"], batch["answer"], counts)
    from meta_lightning.meta.inject import replace_embeddings
    from meta_lightning.meta.projector import layer_indices

    vectors = module.projector(torch.cat(acts), layer_indices(counts, module.num_source_layers))
    embeds = replace_embeddings(module.parts.embeddings(prompt.input_ids), prompt.placeholder_mask, vectors)
    logits = module.model(inputs_embeds=embeds, attention_mask=prompt.attention_mask,
                          position_ids=prompt.position_ids, use_cache=False).logits
    labels = prompt.input_ids.masked_fill(prompt.attention_mask == 0, -100)
    return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]).float(), labels[:, 1:].reshape(-1), ignore_index=-100)


def ours_loss(module: MetaNetwork, batch: dict) -> torch.Tensor:
    return module.loss_and_p_yes(batch)[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--steps", type=int, default=6)
    args = parser.parse_args()
    torch.manual_seed(0)
    module = MetaModel(meta_model={"name": args.model}, projector={"kind": "linear"}, finetune={"method": "lora"}).net
    module.build(ActivationSource("random", "random", 576, 4, (0, 1, 2, 3), torch.float32, "last"), 0)
    d = module.projector.net.in_features
    data = batches(args.steps + 1, args.batch, d)
    optimizer = torch.optim.AdamW([p for p in module.parameters() if p.requires_grad], lr=1e-4)
    times = {"ours": [], "naive": []}
    for i, batch in enumerate(data):
        order = (("ours", ours_loss), ("naive", naive_loss))
        for name, fn in order if i % 2 == 0 else order[::-1]:
            start = time.perf_counter()
            loss = fn(module, batch)
            loss.backward()
            optimizer.zero_grad(set_to_none=True)
            if i > 0:  # the first round warms up both
                times[name].append(time.perf_counter() - start)
    tokens = sum(int(module.prompts.build(b["question"], b["answer"], [4] * len(b["question"])).attention_mask.sum())
                 for b in data)
    ours, naive = statistics.median(times["ours"]), statistics.median(times["naive"])
    print(f"{args.model}, batch {args.batch}, {tokens / len(data):.0f} tokens per batch, {args.steps} timed steps each")
    print(f"ours  (answer-position logits, answer loss): {ours * 1000:7.0f} ms/step")
    print(f"naive (full-sequence logits and loss):       {naive * 1000:7.0f} ms/step")
    print(f"speed-up: {naive / ours:.2f}x")


if __name__ == "__main__":
    main()

"""Training examples and CPU seconds to reach 0.9 multilingual validation accuracy: ours vs the paper's recipe.

Both recipes train the real default meta-model on the same cached activations (data section of
experiments/base.yaml, multilingual), in one run, batch 16, and are evaluated on the multilingual validation
split every ``--eval_every`` steps (the way each reads its verdict: ours after its own greedy class name, the
paper's at the first answer token). Seconds count training steps only, not evaluation.

- ours: experiments/base.yaml's model section (closed-form projector, name then answer, LoRA, plain prompt);
- paper: Yes/No targets only, ``replace`` at the embeddings, attention weights trained, lr 1e-5 for every
  weight (projector included), random projector, the chat-template prompt.

    python benchmarks/learning.py [--max_examples 4000] [--eval_every 5] [--target 0.9]
"""
from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

import torch
import yaml

from meta_lightning.data import MetaDataModule
from meta_lightning.data.questions import collate
from meta_lightning.meta import MetaModel
from meta_lightning.meta.optim import param_groups
from meta_lightning.meta.projector_inputs import projector_inputs

ROOT = Path(__file__).resolve().parents[1]
PAPER = {"prompt": {"answer_format": "yes_no", "chat_template": True, "template": "{activations}\n{question}"},
         "projector": {"init": "random", "lr": None, "standardize": False, "normalize": True},
         "finetune": {"method": "attention", "lora_targets": None}, "optimizer": {"lr": 1e-5}}


def recipes() -> dict[str, dict]:
    base = yaml.safe_load((ROOT / "experiments" / "base.yaml").read_text())["model"]
    paper = {**base, **{group: {**base.get(group, {}), **changes} for group, changes in PAPER.items()}}
    return {"ours": base, "paper": paper}


def accuracy(module, dataset) -> float:
    module.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(dataset), 64):
            batch = collate([dataset[i] for i in range(start, min(start + 64, len(dataset)))])
            p = module.read(batch).p_named
            correct += int(((p >= 0.5) == batch["yes"]).sum())
    module.train()
    return correct / len(dataset)


def run(name: str, options: dict, dm: MetaDataModule, args) -> dict:
    torch.manual_seed(0)
    module = MetaModel(**options).net  # the plain network: no Trainer needed
    inputs = projector_inputs(dm)
    module.build(inputs.source, 0, inputs.training_vectors)
    opt = torch.optim.AdamW(param_groups(module.model, module.projector, module.options.optimizer.lr,
                                         module.options.projector.lr))
    train = dm.datasets["train"][0]
    val = next(d for d in dm.datasets["val"] if d.name == "multilingual")
    rng = random.Random(0)
    seconds, examples, curve = 0.0, 0, [(0, accuracy(module, val))]
    reached = None
    while examples < args.max_examples and reached is None:
        for _ in range(args.eval_every):
            batch = collate([train[i] for i in rng.sample(range(len(train)), args.batch)])
            start = time.process_time()
            loss, _ = module.loss_and_p_yes(batch)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(module.parameters(), 1.0)
            opt.step()
            seconds += time.process_time() - start
            examples += args.batch
        acc = accuracy(module, val)
        curve.append((examples, acc))
        print(f"{name}: {examples} examples, {seconds:.0f} CPU s, val acc {acc:.3f}", flush=True)
        if acc >= args.target:
            reached = (examples, seconds)
    return {"reached": reached, "curve": curve, "seconds": seconds, "examples": examples}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max_examples", type=int, default=4000)
    parser.add_argument("--eval_every", type=int, default=5, help="training steps between validations")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--target", type=float, default=0.9)
    args = parser.parse_args()
    torch.set_num_threads(torch.get_num_threads())
    data = yaml.safe_load((ROOT / "experiments" / "base.yaml").read_text())["data"]
    dm = MetaDataModule(**{**data, "behaviors": ["multilingual"], "eval_behaviors": []})
    dm.setup("fit")
    results = {name: run(name, options, dm, args) for name, options in recipes().items()}
    print("\n| recipe | examples to reach {0} | CPU s to reach {0} | best val acc (examples seen) |".format(args.target))
    print("|---|---|---|---|")
    for name, r in results.items():
        best = max(r["curve"], key=lambda point: point[1])
        hit = r["reached"]
        shown = (f"{hit[0]:,}", f"{hit[1]:.0f}") if hit else (f"not within {r['examples']:,}", f"> {r['seconds']:.0f}")
        print(f"| {name} | {shown[0]} | {shown[1]} | {best[1]:.3f} ({best[0]:,}) |")


if __name__ == "__main__":
    main()

"""Writing programs: decoding with the key/value cache against re-running the whole sequence every step.

The network has the default config's size (d=256, 4 blocks, the 72 x 96 canvas); its weights are random, so
programs run to ``max_tokens`` as the longest real ones do. Each batch holds ``--models`` models of
``--vectors`` weight vectors. Methods, interleaved, ``--repeats`` times each:

- naive greedy: every step runs the network on the weights and all tokens so far (the code before the cache);
- cached greedy: :func:`meta_lightning.weights.decoding.beam` at width 1 (the same programs, checked);
- cached beam search at widths 8 and 16 (what test and predict run).

    python benchmarks/decoding.py --models 64 --vectors 40 --repeats 3
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from meta_lightning.weights.decoding import beam, greedy_uncached
from meta_lightning.weights.encoding import Encoding
from meta_lightning.weights.network import ProgramNetwork


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=64)
    parser.add_argument("--vectors", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.manual_seed(0)
    encoding = Encoding()
    net = ProgramNetwork(encoding, max_tokens=32, d_model=256, layers=4, heads=4, dropout=0.0).eval()
    n = args.vectors
    batch = {"vectors": torch.randn(args.models, n, encoding.features()) * 0.05,
             "extent": torch.ones(args.models, n, encoding.features(), dtype=torch.bool),
             "slots": torch.arange(n).remainder(encoding.slots()).repeat(args.models, 1),
             "vector_mask": torch.arange(n)[None] < torch.randint(n // 2, n + 1, (args.models, 1))}
    reference = greedy_uncached(net, batch)
    cached = beam(net, batch, 1)[0][:, 0]
    assert torch.equal(cached, reference[:, :cached.shape[1]]), "cached greedy wrote other programs"
    methods = {"naive greedy": lambda: greedy_uncached(net, batch), "cached greedy": lambda: beam(net, batch, 1),
               "cached beam, width 8": lambda: beam(net, batch, 8), "cached beam, width 16": lambda: beam(net, batch, 16)}
    times: dict[str, list[float]] = {name: [] for name in methods}
    for _ in range(args.repeats):
        for name, run in methods.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    base = statistics.median(times["naive greedy"])
    print(f"{args.models} models x {n} vectors, {torch.get_num_threads()} threads, median of {args.repeats}:")
    for name, seconds in times.items():
        t = statistics.median(seconds)
        print(f"  {name:<22} {t:7.2f} s  ({t / args.models * 1000:6.1f} ms a model; {base / t:5.2f}x naive greedy)")


if __name__ == "__main__":
    main()

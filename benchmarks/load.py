"""Default-model load time: the cached safetensors folder vs reading the GGUF every time (the naive way).

Each measurement runs in a fresh Python process. Module imports (torch, transformers and its modeling stack:
a few seconds on our CPUs, paid once per process by any tool that uses a model) are timed apart from loading.

    python benchmarks/load.py [--repeats 3]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

PROBE = r"""
import json, time, sys
t0 = time.perf_counter()
import torch, transformers
from transformers import AutoModelForCausalLM, AutoTokenizer
import transformers.modeling_utils, transformers.models.llama.modeling_llama  # the modeling stack, imported lazily otherwise
from meta_lightning.models import load_model, ALIASES
from meta_lightning.models.aliases import packaged_path
t1 = time.perf_counter()
if sys.argv[1] == "ours":
    load_model("smollm2-135m-instruct")
else:
    path = packaged_path(ALIASES["smollm2-135m-instruct"])
    AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
    AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name, dtype=torch.float32)
t2 = time.perf_counter()
print(json.dumps({"imports": t1 - t0, "load": t2 - t1}))
"""


def measure(kind: str) -> dict:
    out = subprocess.run([sys.executable, "-c", PROBE, kind], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    ours, naive = [], []
    for _ in range(args.repeats):
        ours.append(measure("ours"))
        naive.append(measure("gguf"))
    med = lambda rows, key: statistics.median(r[key] for r in rows)  # noqa: E731
    print("| way | imports (s) | load (s) |\n|---|---|---|")
    print(f"| cached safetensors (ours) | {med(ours, 'imports'):.2f} | {med(ours, 'load'):.2f} |")
    print(f"| GGUF every time (naive) | {med(naive, 'imports'):.2f} | {med(naive, 'load'):.2f} |")
    print(f"ratio (naive load / ours): {med(naive, 'load') / med(ours, 'load'):.1f}x")


if __name__ == "__main__":
    main()

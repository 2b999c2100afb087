"""The CUDA path (bf16-mixed training, bf16 input-model capture). Skipped on machines without a GPU."""
import json

import pytest
import torch

from meta_lightning.cli import main
from tests.helpers.runs import tiny_run_config

pytestmark = pytest.mark.slow  # over 5 s a test on 2 cores: a real model, a Trainer run or a sweep

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def test_fit_on_cuda_uses_bf16_mixed_and_a_bf16_input_model(tmp_path):
    from meta_lightning.commands.lightning import MetaCLI

    config = tiny_run_config(tmp_path)
    cli = MetaCLI(args=["--config", str(config)], run=False)
    assert cli.trainer.precision == "bf16-mixed"
    assert cli.datamodule.activation_source().dtype == torch.bfloat16 and cli.datamodule._device() == "cuda"
    main(["fit", "--config", str(config)])
    summary = json.loads((tmp_path / "runs" / "tiny" / "version_0" / "summary.json").read_text())
    # The same config on the CPU (float32) asks exactly the same questions: the CUDA path drops no data.
    cpu_dir = tmp_path / "cpu"
    main(["fit", "--config", str(tiny_run_config(cpu_dir)), "--trainer.accelerator", "cpu", "--trainer.precision", "32-true",
          "--data.device", "cpu"])
    on_cpu = json.loads((cpu_dir / "runs" / "tiny" / "version_0" / "summary.json").read_text())
    assert summary["machine"]["precision"] == "bf16-mixed" and on_cpu["machine"]["precision"] == "32-true"
    assert {n: d["questions"] for n, d in summary["datasets"].items()} == \
        {n: d["questions"] for n, d in on_cpu["datasets"].items()}
    for d in summary["datasets"].values():
        lo, hi = d["accuracy_ci95"]
        assert lo <= d["accuracy"] <= hi
    ckpt = torch.load(tmp_path / "runs" / "tiny" / "version_0" / "checkpoints" / "last.ckpt", weights_only=True)
    # Trained tensors stay float32 (LoRA and projector), whatever the autocast dtype.
    assert all(v.dtype == torch.float32 for v in ckpt["state_dict"].values())

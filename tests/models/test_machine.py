import os

import torch

from meta_lightning.models import machine


def test_a_cpu_is_named_by_model_cores_and_amx(monkeypatch):
    monkeypatch.setattr(machine, "cpu_description", lambda: ("Test CPU", {"avx2", "amx_bf16"}))
    got = machine.describe_machine(torch.device("cpu"), "bf16-mixed")
    assert got == {"device": f"Test CPU, {os.cpu_count()} cores, AMX", "precision": "bf16-mixed", "devices": 1}
    monkeypatch.setattr(machine, "cpu_description", lambda: ("", set()))
    assert machine.describe_machine(torch.device("cpu"), "32-true", 2)["device"] == f"CPU, {os.cpu_count()} cores"


def test_a_gpu_is_named_by_its_model(monkeypatch):
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device: "NVIDIA H100 80GB HBM3")
    got = machine.describe_machine(torch.device("cuda", 0), "bf16-mixed", 4)
    assert got == {"device": "NVIDIA H100 80GB HBM3", "precision": "bf16-mixed", "devices": 4}

"""Decompilation metrics: hand-computed values, and a two-process (gloo) run reporting what one process does."""
import json
import os

import pytest
import torch.distributed as dist
import torch.multiprocessing as mp

from meta_lightning.weights.metrics import ProgramMetrics

# (dataset, length, exact, name), and token counts per batch: what eval steps would feed in
BATCHES = [("test", [2, 2, 3], [True, False, True], ["", "", ""], 10, 12),
           ("test", [3, 4], [False, False], ["", ""], 5, 9),
           ("hand_written", [2, 3], [True, False], ["length", "sort"], 7, 8),
           ("test", [4, 2], [True, True], ["", ""], 8, 8)]


def _feed(metrics: ProgramMetrics, batches) -> None:
    for name, lengths, exact, names, right, tokens in batches:
        metrics.update("test", name, right, tokens, lengths, exact, names)


def test_summary_numbers_equal_hand_computed_ones():
    metrics = ProgramMetrics()
    _feed(metrics, BATCHES)
    out = metrics.summarise("test")
    test = out["test"]
    assert test["programs"] == 7 and test["exact_match"] == pytest.approx(4 / 7)
    assert test["token_accuracy"] == pytest.approx((10 + 5 + 8) / (12 + 9 + 8))
    assert test["by_length"]["2"] == {"programs": 3, "exact_match": pytest.approx(2 / 3),
                                      "exact_match_ci95": pytest.approx([0.2077, 0.9385], abs=1e-4)}
    assert test["by_length"]["3"]["exact_match"] == 0.5 and test["by_length"]["4"]["exact_match"] == 0.5
    assert test["held_out"] and "programs_exact" not in test
    assert out["hand_written"]["programs_exact"] == {"length": True, "sort": False}
    metrics.reset("test")
    assert metrics.summarise("test") == {}


def test_the_model_alone_and_the_compiler_check_are_reported_beside_the_answer():
    metrics = ProgramMetrics()
    # four programs: the answer exact 3 times, the beam's first twice, the answer compiles back 3 times
    metrics.update("test", "test", 20, 24, [2, 2, 3, 3], [True, True, True, False], ["", "", "", ""],
                   first=[True, False, True, False], same=[True, True, True, False])
    entry = metrics.summarise("test")["test"]
    assert entry["exact_match"] == 0.75 and entry["exact_match_model_alone"] == 0.5 and entry["same_weights"] == 0.75
    assert entry["exact_match_model_alone_ci95"] == pytest.approx([0.1500, 0.8500], abs=1e-4)
    all_of_two, half_of_two = pytest.approx([0.3424, 1.0], abs=1e-4), pytest.approx([0.0945, 0.9055], abs=1e-4)
    assert entry["by_length"]["2"] == {"programs": 2, "exact_match": 1.0, "exact_match_ci95": all_of_two,
                                       "exact_match_model_alone": 0.5, "exact_match_model_alone_ci95": half_of_two,
                                       "same_weights": 1.0, "same_weights_ci95": all_of_two}
    assert "found_by_edit" not in entry  # no edit search: nothing to report


def test_how_often_the_edit_search_found_the_answer_is_reported():
    metrics = ProgramMetrics()
    metrics.update("test", "test", 20, 24, [2, 3, 3, 3], [True, True, True, False], ["", "", "", ""],
                   first=[True, False, False, False], same=[True, True, True, False],
                   edited=[False, True, False, False])
    entry = metrics.summarise("test")["test"]
    assert entry["found_by_edit"] == 0.25 and entry["found_by_edit_ci95"] == pytest.approx([0.0456, 0.6994], abs=1e-4)
    assert entry["by_length"]["3"]["found_by_edit"] == pytest.approx(1 / 3)
    # without the edit the second program's answer is its most likely one, which was wrong
    assert entry["exact_match_without_edit"] == 0.5
    assert entry["by_length"]["3"]["exact_match_without_edit"] == pytest.approx(1 / 3)


def _rank(rank: int, world: int, port: int, folder: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        metrics = ProgramMetrics()
        _feed(metrics, BATCHES[rank::world])  # each rank sees its shard, as a DistributedSampler gives it
        with open(os.path.join(folder, f"rank{rank}.json"), "w") as f:
            json.dump(metrics.summarise("test"), f)
    finally:
        dist.destroy_process_group()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_processes_report_what_one_process_reports(tmp_path):
    one = ProgramMetrics()
    _feed(one, BATCHES)
    expected = json.loads(json.dumps(one.summarise("test")))
    mp.spawn(_rank, args=(2, _free_port(), str(tmp_path)), nprocs=2, join=True)
    for rank in range(2):
        got = json.loads((tmp_path / f"rank{rank}.json").read_text())
        assert set(got) == set(expected)
        assert got == expected, f"rank {rank}"

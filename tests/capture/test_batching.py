import random

import torch

from meta_lightning.capture.batching import length_sorted_batches, pad


def test_batches_cover_every_example_once_within_limits():
    lengths = [random.Random(0).randint(20, 400) for _ in range(500)]
    batches = length_sorted_batches(lengths, max_batch_size=16, max_tokens=4096)
    assert sorted(i for b in batches for i in b) == list(range(500))
    for b in batches:
        assert len(b) <= 16 and len(b) * max(lengths[i] for i in b) <= 4096


def test_length_sorting_keeps_padding_under_ten_percent():
    rng = random.Random(1)
    lengths = [rng.randint(30, 300) for _ in range(1000)]
    batches = length_sorted_batches(lengths, max_batch_size=16, max_tokens=8192)
    real = sum(lengths)
    padded = sum(len(b) * max(lengths[i] for i in b) for b in batches)
    assert 1 - real / padded < 0.10
    # The naive way (batches in arrival order) pads far more: the sorting is what helps.
    naive = sum(16 * max(lengths[i:i + 16]) for i in range(0, 1000, 16))
    assert 1 - real / naive > 0.25


def test_an_example_longer_than_the_token_budget_gets_its_own_batch():
    assert length_sorted_batches([10, 500, 10], max_batch_size=8, max_tokens=100) == [[1], [0, 2]]


def test_pad_left_and_right_with_position_ids():
    right = pad([[5, 6, 7], [8]], pad_id=0, side="right")
    assert right.input_ids.tolist() == [[5, 6, 7], [8, 0, 0]]
    assert right.position_ids.tolist() == [[0, 1, 2], [0, 0, 0]]
    left = pad([[5, 6, 7], [8]], pad_id=0, side="left")
    assert left.input_ids.tolist() == [[5, 6, 7], [0, 0, 8]]
    assert left.attention_mask.tolist() == [[1, 1, 1], [0, 0, 1]]
    assert left.position_ids[1, 2].item() == 0 and left.offsets == [0, 2]
    assert left.real_tokens == 4 and left.padded_tokens == 6
    assert left.input_ids.dtype == torch.long

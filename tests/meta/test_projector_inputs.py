import torch

from meta_lightning.data import MetaDataModule
from meta_lightning.meta.projector_inputs import activation_statistics, projector_inputs, training_vectors
from tests.helpers.folders import save_byte_model


def test_statistics_and_vectors_come_from_the_training_behaviours_alone(tmp_path):
    folder = save_byte_model(tmp_path / "tiny", "llama")
    dm = MetaDataModule(input_model={"name": str(folder)}, behaviors=["sentiment", "language"],
                        capture={"layers": [1, -1], "positions": "last:2"}, splits={"train": 8, "val": 6, "test": 4},
                        loader={"batch_size": 4}, use_cache=False)
    dm.setup("fit")
    train = dm.datasets["train"]
    # Reference by hand: every train conversation's [layers, positions, d], positions pooled per layer.
    rows = [a[:, p].float() for d in train for a in d.activations for p in range(a.shape[1])]
    x = torch.stack(rows)  # [conversations * positions, layers, d]
    assert x.shape[0] == 2 * 8 * 2
    mean, std = activation_statistics(dm)
    assert torch.allclose(mean, x.mean(0), atol=1e-6) and torch.allclose(std, x.std(0), atol=1e-6)
    assert projector_inputs(dm).source.statistics[0] is not None
    # The lie val split is loaded too, and must not move the statistics.
    assert "lies" in [d.name for d in dm.datasets["val"]]
    vectors, names = training_vectors(dm)
    assert len(vectors) == 16 and vectors[0].shape == (2 * 2, 64)
    assert set(names) == {dm.behavior("sentiment").class_name(c) for c in dm.behavior("sentiment").classes} | {
        dm.behavior("language").class_name(c) for c in {c.label for c in train[1].conversations}}


def test_a_behaviour_asked_both_kinds_counts_once_and_text_pairs_cover_every_token(tmp_path):
    from meta_lightning.behaviors import get_behavior
    from meta_lightning.meta.projector_inputs import text_pairs

    folder = save_byte_model(tmp_path / "tiny", "llama")
    dm = MetaDataModule(input_model={"name": str(folder)}, behaviors=["sentiment"], capture={"layers": [1, -1]},
                        questions={"kinds": ["yes_no", "free_text"]}, splits={"train": 8, "val": 2, "test": 2},
                        use_cache=False)
    dm.setup("fit")
    assert [d.name for d in dm.datasets["train"]] == ["sentiment", "sentiment:text"]
    vectors, _ = training_vectors(dm)
    assert len(vectors) == 8  # one per conversation, not one per data set
    vectors, windows = text_pairs(dm, passages=3, window=1)
    assert not dm.input_model_handle().in_memory  # released once read
    texts = [s.text for s in get_behavior("context").split_sources("train")][:3]
    tokenizer = dm.loaded_input_model().tokenizer
    ids = [tokenizer.encode(t, add_special_tokens=False) for t in texts]
    assert len(vectors) == len(windows) == sum(len(i) for i in ids) and vectors[0].shape == (2, 64)
    assert windows[1] == tokenizer.decode(ids[0][0:3])  # the token and one on each side

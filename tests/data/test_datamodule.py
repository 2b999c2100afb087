import collections

import pytest
import torch

from meta_lightning.data import MetaDataModule
from meta_lightning.errors import ConfigError
from tests.helpers.folders import save_byte_model


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return str(save_byte_model(tmp_path_factory.mktemp("m") / "tiny", "llama"))


def _dm(model_dir, **kw):
    args = dict(input_model={"name": model_dir}, behaviors=["sentiment", "language"], capture={"layers": [1, -1]},
                splits={"train": 8, "val": 6, "test": 4}, loader={"batch_size": 4})
    return MetaDataModule(**{**args, **kw})


def test_loaders_serve_collated_batches_per_dataset(model_dir):
    dm = _dm(model_dir)
    dm.prepare_data()
    dm.setup("fit")
    assert [d.name for d in dm.datasets["val"]] == ["sentiment", "language", "lies"]
    batch = next(iter(dm.train_dataloader()))
    assert len(batch["activations"]) == 4 and batch["activations"][0].shape == (2, 64)
    assert batch["yes"].dtype == torch.bool and set(batch["answer"]) <= {"Yes", "No"}
    assert {"question", "behavior", "label", "asked"} <= set(batch)
    # Training behaviours: 6 conversations x 2 questions; the held-out lies: 1 question per conversation.
    assert [len(loader.dataset) for loader in dm.val_dataloader()] == [12, 12, 6]
    dm.setup("test")
    assert [d.name for d in dm.datasets["test"]] == ["sentiment", "language", "lies"]


def test_evaluation_batches_come_longest_prompt_first_and_predictions_in_data_set_order(model_dir):
    dm = _dm(model_dir)
    dm.setup("test")
    dataset = dm.datasets["test"][0]
    questions = [q for batch in dm.test_dataloader()[0] for q in batch["question"]]
    assert sorted(questions) == sorted(q.text for q in dataset.questions)  # each question once
    assert [len(q) for q in questions] == sorted((len(q) for q in questions), reverse=True)
    assert [q for batch in dm.predict_dataloader()[0] for q in batch["question"]] == [q.text for q in dataset.questions]


def test_uniform_sampling_balances_unequal_behaviours_and_proportional_follows_size(model_dir):
    # language has 6 classes, so 30 conversations vs sentiment's 6 (sizes differ 5x).
    counts = {}
    for sampling in ("uniform", "proportional"):
        dm = _dm(model_dir, splits={"train": 30, "val": 6, "test": 4}, loader={"batch_size": 4, "sampling": sampling})
        dm.setup("fit")
        dm.datasets["train"][0].questions = dm.datasets["train"][0].questions[:12]  # sentiment: 12 of 72 questions
        seen = collections.Counter(b for batch in dm.train_dataloader() for b in batch["behavior"])
        counts[sampling] = seen["sentiment"] / sum(seen.values())
    assert 0.35 < counts["uniform"] < 0.65
    assert counts["proportional"] == pytest.approx(12 / 72)


def test_same_seed_same_batches_other_seed_other_batches(model_dir):
    def first_questions(seed):
        dm = _dm(model_dir, seed=seed)
        dm.setup("fit")
        return [q for batch in dm.train_dataloader() for q in batch["question"]]

    assert first_questions(0) == first_questions(0)
    assert first_questions(0) != first_questions(1)


def test_second_datamodule_reads_the_cache_without_forwards(model_dir):
    _dm(model_dir).prepare_data()
    dm = _dm(model_dir)
    dm.prepare_data()
    assert dm.capture_report.forwards == 0 and dm.capture_report.captured == 0


def test_use_cache_false_writes_nothing(model_dir, tmp_path):
    dm = _dm(model_dir, use_cache=False, cache_dir=str(tmp_path / "c"))
    dm.prepare_data()
    dm.setup("fit")
    assert dm.capture_report.forwards > 0 and not (tmp_path / "c" / "activations").exists()


def test_generate_tokens_changes_the_key_and_the_activations(model_dir):
    plain = _dm(model_dir)
    plain.setup("fit")
    gen = _dm(model_dir, capture={"layers": [1, -1], "generate_tokens": 4})
    gen.setup("fit")
    a, b = plain.datasets["train"][0], gen.datasets["train"][0]
    assert not torch.equal(a.activations[0], b.activations[0])
    again = _dm(model_dir, capture={"layers": [1, -1], "generate_tokens": 4})
    again.setup("fit")
    assert torch.equal(again.datasets["train"][0].activations[0], b.activations[0])  # greedy: deterministic
    assert again.capture_report.forwards == 0


@pytest.mark.parametrize("kwargs, message", [
    ({"behaviors": []}, "data.behaviors: the training combination is empty"),
    ({"behaviors": ["sentimnet"]}, "data.behaviors: unknown behaviour 'sentimnet'"),
    ({"eval_behaviors": ["liars"]}, "data.eval_behaviors: unknown behaviour 'liars'"),
    ({"loader": {"sampling": "random"}}, "data.loader.sampling: unknown value 'random'"),
    ({"behavior_options": {"emotion": {"k": 2}}}, "data.behavior_options: options for 'emotion'"),
])
def test_bad_config_names_the_field(model_dir, kwargs, message):
    with pytest.raises(ConfigError, match="^" + message):
        _dm(model_dir, **kwargs)


def test_layer_out_of_range_names_the_layer_count_before_the_weights_load(model_dir, monkeypatch):
    import transformers

    def never(*args, **kwargs):
        raise AssertionError("the model was loaded before the layer check")

    for auto in (transformers.AutoModel, transformers.AutoModelForCausalLM):
        monkeypatch.setattr(auto, "from_pretrained", never)
    dm = _dm(model_dir, capture={"layers": [9]})
    with pytest.raises(ConfigError, match=r"data.capture.layers.*4"):
        dm.prepare_data()


def test_held_out_behaviours_are_tested_on_every_fact_in_both_variants_by_default(model_dir):
    from meta_lightning.behaviors import get_behavior

    dm = _dm(model_dir, eval_behaviors=["lies", "lies_answer_only"])
    plan = {(b, s): n for b, s, n in dm.plan("test")}
    facts = len(get_behavior("lies").corpus())
    assert plan[("lies", "all")] == plan[("lies_answer_only", "all")] == 2 * facts >= 600
    assert plan[("sentiment", "test")] == 4
    dm = _dm(model_dir, splits={"train": 8, "val": 6, "test": 4, "eval_test": 10})
    assert {(b, s): n for b, s, n in dm.plan("test")}[("lies", "all")] == 10


def test_held_out_validation_has_its_own_size_and_none_leaves_the_held_out_sets_unread_while_training(model_dir):
    def val_sizes(**splits):
        dm = _dm(model_dir, eval_behaviors=["lies", "lies_answer_only"], splits={"train": 8, "val": 6, **splits})
        return {b: n for b, s, n in dm.plan("fit") if s == "val"}

    assert val_sizes() == {"sentiment": 6, "language": 6, "lies": 6, "lies_answer_only": 6}
    assert val_sizes(eval_val=3) == {"sentiment": 6, "language": 6, "lies": 3, "lies_answer_only": 3}
    assert val_sizes(eval_val=0) == {"sentiment": 6, "language": 6}
    dm = _dm(model_dir, splits={"train": 8, "val": 6, "test": 4, "eval_val": 0})
    dm.setup("fit")
    assert [d.name for d in dm.datasets["val"]] == ["sentiment", "language"]
    with pytest.raises(ConfigError, match="^data.splits.eval_val: must be at least 0, got -1"):
        _dm(model_dir, splits={"train": 8, "eval_val": -1})


def test_input_model_weights_are_dropped_after_setup_and_reloaded_only_to_capture(model_dir, tmp_path):
    dm = _dm(model_dir, cache_dir=str(tmp_path / "c"))
    dm.setup("fit")
    handle = dm.input_model_handle()
    assert handle.loads == 1 and not handle.in_memory
    source = dm.activation_source()
    assert (source.hidden_size, source.layers, source.num_layers) == (64, (1, 4), 4)
    dm.setup("fit")  # a second fit on the same datamodule (the question-only baseline): all cached
    assert handle.loads == 1 and not handle.in_memory
    dm.setup("test")  # test splits were never captured: the weights come back, then go again
    assert handle.loads == 2 and not handle.in_memory and dm.capture_report.forwards > 0


def test_a_large_plan_says_how_long_its_capture_takes_before_anything_loads(model_dir, capsys, no_model_loads):
    dm = _dm(model_dir, splits={"train": 15000, "val": 6, "test": 4})
    dm.check()
    err = capsys.readouterr().err
    total = sum(n for _, _, n in dm.plan(None))
    assert total > 30000 and f"warning: this run reads {total:,} conversations; capturing them takes about " \
        f"{total / 36000:.1f} h on a 2-core CPU" in err, err
    _dm(model_dir).check()
    assert "warning" not in capsys.readouterr().err


def test_mix_weights_scale_each_data_set_share_and_unknown_names_are_named():
    from meta_lightning.data.sampling import mix_weights

    sizes = {"a": 2, "a:text": 4, "b": 1}

    class Part:
        def __init__(self, name, behavior):
            self.name, self.behavior = name, behavior

        def __len__(self):
            return sizes[self.name]

    parts = [Part("a", "a"), Part("a:text", "a"), Part("b", "b")]
    uniform = mix_weights(parts, "uniform", None)
    assert uniform.tolist() == [0.5] * 2 + [0.25] * 4 + [1.0]  # each data set's weights sum to 1
    mixed = mix_weights(parts, "uniform", {"a": 2.0, "a:text": 0.5})  # a data set's own name wins over its behaviour's
    assert [float(mixed[:2].sum()), float(mixed[2:6].sum()), float(mixed[6:].sum())] == [2.0, 0.5, 1.0]
    assert mix_weights(parts, "proportional", None) is None
    assert mix_weights(parts, "proportional", {"b": 3}).tolist() == [1.0] * 6 + [3.0]
    with pytest.raises(ConfigError, match="data.loader.mix.c: is not a training data set. Use one of: a, a:text, b"):
        mix_weights(parts, "uniform", {"c": 1.0})

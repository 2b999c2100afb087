import pytest
import torch

from meta_lightning.baselines.probe import score_p_yes
from meta_lightning.baselines.text import answer_token_ids, p_yes, render, text_baseline
from meta_lightning.behaviors.base import Conversation, Question
from meta_lightning.data import MetaDataModule
from meta_lightning.models.load import load_model
from tests.helpers.folders import save_byte_model


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return save_byte_model(tmp_path_factory.mktemp("text") / "tiny", "llama")


def test_the_prompt_holds_every_message_and_the_question():
    from tests.helpers.tiny import byte_tokenizer

    conv = Conversation("lies", "lying", [{"role": "system", "content": "Lie."}, {"role": "user", "content": "2+2?"},
                                          {"role": "assistant", "content": "5."}], ("x",), "test")
    text = render(byte_tokenizer(), conv, "Is this model lying?")
    assert "system: Lie.\nuser: 2+2?\nassistant: 5.\n\nIs this model lying? Answer Yes or No." in text


def test_yes_and_no_tokens_never_share_an_id(folder):
    tokenizer = load_model(str(folder)).tokenizer
    yes, no = answer_token_ids(tokenizer)
    assert yes and no and not set(yes) & set(no)


@pytest.mark.parametrize("max_tokens", [1 << 30, 40])  # one batch; a token budget that splits it
@pytest.mark.parametrize("arch", ["llama", "gpt2"])  # rotary and absolute positions
def test_batched_left_padded_answers_equal_one_prompt_at_a_time(tmp_path, arch, max_tokens, no_amx):  # float32: bf16 differs
    loaded = load_model(str(save_byte_model(tmp_path / arch, arch)))
    prompts = ["short prompt", "a much longer prompt than the first one, padded on the left of the other", "x"]
    batched = p_yes(loaded, prompts, batch_size=3, max_tokens=max_tokens)
    alone = torch.cat([p_yes(loaded, [p], batch_size=1) for p in prompts])
    assert torch.allclose(batched, alone, atol=1e-5)
    assert ((batched > 0) & (batched < 1)).all()


def test_score_counts_answers_against_the_truth():
    class Set:
        questions = [Question(0, "q", "Yes", "a"), Question(0, "q", "No", "b"), Question(1, "q", "No", "a")]

    out = score_p_yes(Set(), torch.tensor([0.9, 0.7, 0.2]), held_out=True)
    assert out["accuracy"] == pytest.approx(2 / 3) and out["questions"] == 3 and out["auroc"] == 1.0
    assert out["held_out"] and out["accuracy_ci95"] == pytest.approx([0.2077, 0.9385], abs=1e-4)


def test_text_baseline_scores_every_test_set(folder):
    dm = MetaDataModule(input_model={"name": str(folder)}, behaviors=["sentiment"], capture={"layers": [1]},
                        splits={"train": 8, "val": 4, "test": 6, "eval_test": 10}, loader={"batch_size": 4}, use_cache=False)
    dm.setup("test")
    out = text_baseline(load_model(str(folder)), dm, batch_size=4)
    assert set(out) == {"sentiment", "lies"} and out["lies"]["held_out"] and not out["sentiment"]["held_out"]
    assert out["sentiment"]["questions"] == 12 and out["lies"]["questions"] == 10


def test_free_text_sets_get_greedy_answers_scored_like_the_meta_models(folder):
    dm = MetaDataModule(input_model={"name": str(folder)}, behaviors=["instructions"], capture={"layers": [1]},
                        questions={"kinds": ["yes_no", "free_text"]},
                        splits={"train": 8, "val": 4, "test": 6, "eval_test": 4}, use_cache=False)
    dm.setup("test")
    out = text_baseline(load_model(str(folder)), dm, batch_size=4, max_new_tokens=3)
    assert set(out) == {"instructions", "instructions:text", "lies", "lies:text"}
    assert out["instructions:text"]["metric"] == "token_f1" and out["instructions:text"]["questions"] == 12
    assert out["lies:text"]["held_out"] and set(out["lies:text"]["mentions"]) == {"words", "lying", "truthful"}
    assert out["instructions"]["questions"] == 12  # instructions have no class probe, but are read as text


def test_batched_greedy_answers_equal_one_prompt_at_a_time(folder):
    from meta_lightning.baselines.text import greedy_answers

    loaded = load_model(str(folder))
    prompts = ["short", "a much longer prompt, padded on the left of the others", "x y"]
    alone = [greedy_answers(loaded, [p], 4)[0] for p in prompts]
    assert greedy_answers(loaded, prompts, 4, batch_size=3) == alone
    assert greedy_answers(loaded, prompts, 4, batch_size=3, max_tokens=60) == alone  # split by the token budget

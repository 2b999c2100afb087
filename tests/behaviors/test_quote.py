import pytest

from meta_lightning.behaviors import get_behavior
from meta_lightning.behaviors.instruction_catalogue import CATALOGUE, PROMPTS
from meta_lightning.errors import ConfigError


def _instruction_in(system: str) -> str:
    """The catalogue instruction a system prompt was built around (it must be one)."""
    found = [d for ds in CATALOGUE.values() for d in ds for p in PROMPTS
             if p.format(d=d, D=d[0].upper() + d[1:]) == system]
    assert len(found) == 1, system
    return found[0]


def test_answers_are_the_first_words_of_the_system_prompt_of_the_split():
    behavior = get_behavior("quote", words=5)
    allowed = {s.text for s in behavior.split_sources("val")}
    convs = behavior.conversations("val", 40, seed=1)
    questions = behavior.questions(convs, per_conversation=2, kind="free_text")
    assert len(questions) == 80 and [c.label for c in convs[:4]] == ["instruction", "passage"] * 2
    for q in questions:
        system = convs[q.conversation].messages[0]
        assert system["role"] == "system" and q.answer == " ".join(system["content"].split()[:5])
        text = _instruction_in(system["content"]) if q.asked_label == "instruction" else system["content"]
        assert text in allowed
    assert {len(c.messages) for c in convs} == {2, 4}  # replies: 0.5, so some chats go on


def test_held_out_categories_are_quoted_only_in_test():
    behavior = get_behavior("quote", held_out_categories=["tone"], categories=["persona"])
    held_out, trained = set(CATALOGUE["tone"]), set(CATALOGUE["persona"])
    seen = {split: {_instruction_in(c.messages[0]["content"]) for c in behavior.conversations(split, 60)
                    if c.label == "instruction"} for split in ("train", "val", "test")}
    assert seen["test"] <= held_out and seen["train"] | seen["val"] <= trained
    assert seen["train"] and seen["val"] and not seen["train"] & seen["val"]


def test_no_replies_keeps_every_chat_to_the_system_prompt_and_one_user_message():
    convs = get_behavior("quote", replies=0.0).conversations("train", 20)
    assert all([m["role"] for m in c.messages] == ["system", "user"] for c in convs)


def test_a_text_file_gives_the_passages(tmp_path):
    path = tmp_path / "passages.txt"
    path.write_text("\n".join(f"passage number {i} of the file" for i in range(40)) + "\n")
    behavior = get_behavior("quote", dataset=str(path), replies=0.0)
    passages = [c.messages[0]["content"] for c in behavior.conversations("train", 20) if c.label == "passage"]
    assert len(passages) == 10 and all(p.startswith("passage number") for p in passages)


@pytest.mark.parametrize("options, match", [
    ({"formats": ["yes_no"]}, "quote.formats: quote has no Yes/No questions"),
    ({"words": 0}, "quote.words: must be at least 1"),
    ({"replies": 2.0}, "quote.replies: must be a share from 0 to 1"),
    ({"categories": ["cooking"]}, "quote.categories: unknown category 'cooking'"),
    ({"categories": ["emotion"]}, "quote.categories: 'emotion' is also held out"),
])
def test_bad_options_name_the_field(options, match):
    with pytest.raises(ConfigError, match=match):
        get_behavior("quote", **options)


def test_the_cache_key_follows_what_the_input_model_reads_and_not_the_answer_length():
    base = get_behavior("quote").recipe(0)
    assert get_behavior("quote", words=3).recipe(0) == base
    assert get_behavior("quote", replies=0.2).recipe(0) != base
    assert get_behavior("quote", categories=["tone"]).recipe(0) != base

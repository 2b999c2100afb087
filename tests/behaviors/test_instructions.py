import pytest

from meta_lightning.behaviors import get_behavior
from meta_lightning.behaviors.instruction_catalogue import CATALOGUE
from meta_lightning.errors import ConfigError


@pytest.fixture(scope="module")
def behavior():
    return get_behavior("instructions")


def test_whole_categories_are_held_out_and_val_instructions_are_never_trained(behavior):
    category = {s.text: s.get("category") for s in behavior.corpus()}
    train, val, test = ({s.text for s in behavior.split_sources(split)} for split in ("train", "val", "test"))
    assert {category[t] for t in test} == set(behavior.held_out_categories)
    assert not {category[t] for t in train | val} & set(behavior.held_out_categories)
    assert not train & val and len(val) >= 15
    assert {category[t] for t in val} <= {category[t] for t in train}


def test_each_conversation_is_the_instruction_then_a_user_message(behavior):
    for conv in behavior.conversations("val", 10, seed=1):
        system, user = conv.messages
        assert system["role"] == "system" and conv.label in system["content"].lower()
        assert user["role"] == "user"


def test_replies_continue_some_chats_with_a_passage_of_the_same_split_and_leave_the_rest_as_they_were(behavior):
    from meta_lightning.behaviors.context import Context

    longer = get_behavior("instructions", replies=0.5)
    plain, convs = behavior.conversations("val", 200, seed=1), longer.conversations("val", 200, seed=1)
    continued = [c for c in convs if len(c.messages) == 4]
    assert 0.4 < len(continued) / len(convs) < 0.6 and all(len(c.messages) in (2, 4) for c in convs)
    assert [c.messages[:2] for c in convs] == [c.messages for c in plain]  # the same instructions and users
    val_passages = {s.text for s in Context().split_sources("val")}
    for c in continued:
        assert [m["role"] for m in c.messages] == ["system", "user", "assistant", "user"]
        assert c.messages[2]["content"] in val_passages and c.messages[3]["content"] in longer.followups
    assert longer.recipe(0)["replies"] == 0.5 and behavior.recipe(0)["replies"] == 0.0  # a new cache key
    with pytest.raises(ConfigError, match="instructions.replies: must be a share from 0 to 1"):
        get_behavior("instructions", replies=1.5)


def test_no_questions_ask_about_another_instruction_of_the_same_split_half_of_them_in_the_same_category(behavior):
    convs = behavior.conversations("train", 400)
    questions = behavior.questions(convs, per_conversation=1)
    asked_in = {q.asked_label for q in questions}
    assert asked_in <= {s.text for s in behavior.split_sources("train")}
    nos = [q for q in questions if q.answer == "No"]
    same = sum(behavior.category(q.asked_label) == behavior.category(convs[q.conversation].label) for q in nos)
    assert 0.35 < same / len(nos) < 0.65
    assert all(q.text.endswith("?") and q.asked_label in q.text for q in questions)


def test_free_text_answers_are_the_instruction_or_its_category(behavior):
    convs = behavior.conversations("test", 200)
    questions = behavior.questions(convs, per_conversation=1, kind="free_text")
    kinds = [q.answer == convs[q.conversation].label for q in questions]
    assert all(q.answer in (convs[q.conversation].label, behavior.category(convs[q.conversation].label)) for q in questions)
    assert 0.6 < sum(kinds) / len(kinds) < 0.9  # one in four asks for the category


def test_fewer_categories_train_on_fewer_instructions_and_the_test_set_stays(behavior):
    few = get_behavior("instructions", categories=["tone", "persona", "language"])
    assert {few.category(s.text) for s in few.split_sources("train")} == {"tone", "persona", "language"}
    assert few.split_sources("test") == behavior.split_sources("test")
    assert few.recipe(0) != behavior.recipe(0)


@pytest.mark.parametrize("options, message", [
    ({"held_out_categories": ["moods"]}, "instructions.held_out_categories: unknown category 'moods'"),
    ({"categories": ["tone", "emotion"]}, "instructions.categories: 'emotion' is also held out"),
])
def test_bad_categories_are_named(options, message):
    with pytest.raises(ConfigError, match=message):
        get_behavior("instructions", **options)


def test_every_category_has_a_distinct_name_and_instructions():
    assert len(CATALOGUE) == len({c.lower() for c in CATALOGUE})

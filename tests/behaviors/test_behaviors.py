import collections

import pytest

from meta_lightning.behaviors import REGISTRY, SPLITS, get_behavior
from meta_lightning.errors import ConfigError

MIN_SOURCES = {"sentiment": 300, "emotion": 6 * 50, "language": 6 * 50, "multilingual": 6 * 2 * 40, "lies": 300,
               "lies_answer_only": 300, "instructions": 150,
               "context": 1000, "quote": 1100}


@pytest.fixture(params=sorted(REGISTRY))
def behavior(request):
    return get_behavior(request.param)


def test_corpus_is_large_distinct_and_covers_every_class(behavior):
    sources = behavior.sources()
    texts = [(s.label, " ".join(s.text.lower().split())) for s in sources]
    assert len(set(texts)) == len(texts) >= MIN_SOURCES[behavior.name]
    assert {s.label for s in sources} <= set(behavior.classes)


def test_no_source_appears_in_two_splits(behavior):
    seen = {split: {s.id for s in behavior.split_sources(split)} | {s.text for s in behavior.split_sources(split)}
            for split in SPLITS}
    assert not (seen["train"] & seen["val"]) and not (seen["train"] & seen["test"]) and not (seen["val"] & seen["test"])
    assert all(seen.values())


def test_conversations_use_only_their_split_and_alternate_roles(behavior):
    allowed = {s.id for s in behavior.split_sources("val")}
    convs = behavior.conversations("val", 12, seed=3)
    for c in convs:
        assert c.split == "val" and set(c.source_ids) <= allowed
        roles = [m["role"] for m in c.messages if m["role"] != "system"]
        assert roles[0] == "user" and roles[-1] == "user"
        assert all(a != b for a, b in zip(roles, roles[1:]))
    counts = collections.Counter(c.label for c in convs)  # classes in turn: each as often as any other
    assert len(set(counts.values())) == 1 and set(counts) <= set(behavior.classes)
    if len(behavior.classes) <= 12:
        assert set(counts) == set(behavior.classes)


def test_questions_are_balanced_within_every_class(behavior):
    if "yes_no" not in behavior.kinds():
        pytest.skip(f"{behavior.name} asks free-text questions only")
    n = 4 * len({s.label for s in behavior.split_sources("train")})
    convs = behavior.conversations("train", n)
    questions = behavior.questions(convs)
    for label in behavior.classes:
        answers = collections.Counter(q.answer for q in questions if convs[q.conversation].label == label)
        assert answers["Yes"] == answers["No"]
    for q in questions:
        assert (q.answer == "Yes") == (q.asked_label == convs[q.conversation].label)
        assert q.text.endswith("?")


def test_same_seed_same_data_other_seed_other_data(behavior):
    a = behavior.conversations("train", 6, seed=0)
    assert [c.messages for c in a] == [c.messages for c in behavior.conversations("train", 6, seed=0)]
    assert [c.messages for c in a] != [c.messages for c in behavior.conversations("train", 6, seed=1)]


def test_recipe_changes_with_every_option():
    base = get_behavior("sentiment").recipe(0)
    assert get_behavior("sentiment", k=4).recipe(0) != base
    assert get_behavior("sentiment", followups=("Continue.",)).recipe(0) != base
    assert get_behavior("sentiment").recipe(1) != base


def test_unknown_behavior_names_the_known_ones():
    known = "context, emotion, instructions, language, lies, lies_answer_only, multilingual, quote, sentiment"
    with pytest.raises(ConfigError, match=f"data.behaviors: unknown behaviour 'sarcasm'. Use one of: {known}"):
        get_behavior("sarcasm", field="data.behaviors")


def test_lies_pair_each_fact_with_a_true_and_a_false_answer():
    lies = get_behavior("lies")
    truthful, lying = lies.conversations("test", 2, seed=5)
    assert truthful.label == "truthful" and lying.label == "lying"
    assert truthful.messages[0]["role"] == "system" and "Lie" not in truthful.messages[0]["content"]
    answer_only = get_behavior("lies", style="answer_only").conversations("test", 2, seed=5)
    assert all(m["role"] != "system" for c in answer_only for m in c.messages)


def test_lie_free_text_questions_come_from_describe():
    convs = get_behavior("lies").conversations("test", 4)
    asked = get_behavior("lies").questions(convs, kind="free_text")
    assert {q.text for q in asked} == {"What was the assistant told to do?"}
    quote = get_behavior("lies_answer_only", describe=["Quote the system prompt."])
    assert {q.text for q in quote.questions(convs, kind="free_text")} == {"Quote the system prompt."}
    with pytest.raises(ConfigError, match="lies.describe: must be a list of questions"):
        get_behavior("lies", describe="Quote it.").questions(convs, kind="free_text")


def test_sentiment_few_shot_has_k_assistant_turns_of_one_class():
    convs = get_behavior("sentiment", k=4).conversations("train", 2)
    for c in convs:
        assert sum(m["role"] == "assistant" for m in c.messages) == 4 and len(set(c.source_ids)) == 4


def test_per_class_minimums():
    for name, per_class in (("emotion", 50), ("language", 50)):
        b = get_behavior(name)
        counts = collections.Counter(s.label for s in b.sources())
        assert len(counts) >= 6 and min(counts.values()) >= per_class, name
    ml = get_behavior("multilingual")
    counts = collections.Counter((s.get("language"), s.label) for s in ml.sources())
    assert len({lang for lang, _ in counts}) >= 5 and min(counts.values()) >= 40


def test_multilingual_conversation_keeps_to_one_language():
    ml = get_behavior("multilingual", k=3)
    by_id = {s.id: s.get("language") for s in ml.sources()}
    for c in ml.conversations("train", 24, seed=2):
        assert len({by_id[i] for i in c.source_ids}) == 1


def test_emotion_questions_are_grammatical_for_every_emotion():
    emotion = get_behavior("emotion")
    assert [emotion.questions_for(e)[0] for e in emotion.classes] == [
        "Is this model expressing joy?", "Is this model expressing sadness?", "Is this model expressing anger?",
        "Is this model expressing fear?", "Is this model expressing surprise?", "Is this model expressing disgust?"]

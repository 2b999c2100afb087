import pytest

from meta_lightning.behaviors import get_behavior
from meta_lightning.errors import ConfigError


def test_answers_are_the_words_just_before_or_just_after_the_cut():
    behavior = get_behavior("context", words=3)
    texts = {s.id: s.text.split() for s in behavior.corpus()}
    convs = behavior.conversations("train", 60, seed=2)
    questions = behavior.questions(convs, per_conversation=2, kind="free_text")
    assert {q.asked_label for q in questions} == {"before", "after"}
    for q in questions:
        conv = convs[q.conversation]
        read = conv.messages[0]["content"].split()
        words = texts[conv.source_ids[0]]
        assert words[:len(read)] == read and 1 <= len(read) < len(words)
        answer = q.answer.split()
        assert 1 <= len(answer) <= 3
        if q.asked_label == "before":
            assert read[-len(answer):] == answer
        else:
            assert words[len(read):len(read) + len(answer)] == answer


def test_a_text_file_gives_the_passages(tmp_path):
    path = tmp_path / "passages.txt"
    path.write_text("one two three four\n\nfive six seven\n")
    behavior = get_behavior("context", dataset=str(path))
    assert [s.text for s in behavior.corpus()] == ["one two three four", "five six seven"]


def test_an_empty_file_and_a_yes_no_format_are_named(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("\n \n")
    with pytest.raises(ConfigError, match="context.dataset: .* holds no text"):
        get_behavior("context", dataset=str(path)).corpus()
    with pytest.raises(ConfigError, match="context.formats: context has no Yes/No questions"):
        get_behavior("context", formats=["yes_no", "free_text"])

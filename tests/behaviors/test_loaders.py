import json
from pathlib import Path

import pytest

from meta_lightning.behaviors import get_behavior, loaders
from meta_lightning.errors import ConfigError

SOURCES = Path(__file__).resolve().parent.parent / "fixtures" / "sources"


def test_sst2_maps_labels():
    rows = loaders.sst2(str(SOURCES / "sst2.csv"), None)
    assert len(rows) == 6 and [s.label for s in rows[:2]] == ["positive", "negative"]
    assert rows[1].text == "unflinchingly bleak and desperate"


def test_go_emotions_keeps_single_labels_of_the_six_emotions():
    rows = loaders.go_emotions(str(SOURCES / "go_emotions.jsonl"), None)
    assert [s.label for s in rows] == ["joy", "sadness", "anger", "fear", "surprise", "disgust"]


def test_amazon_reviews_stars_to_sentiment_and_language():
    rows = loaders.amazon_reviews(str(SOURCES / "amazon_reviews_multi.csv"))
    assert [(s.get("language"), s.label) for s in rows] == [
        ("de", "positive"), ("de", "negative"), ("en", "positive"), ("en", "negative"), ("fr", "positive"), ("ja", "negative")]
    langs = loaders.amazon_reviews(str(SOURCES / "amazon_reviews_multi.csv"), label="language")
    assert [s.label for s in langs] == ["de", "de", "en", "en", "fr", "fr", "ja"]


def test_ai_liar_uses_false_statement_when_false_answer_is_absent(tmp_path):
    facts = loaders.ai_liar(str(SOURCES / "ai_liar_facts.json"))
    assert facts[0].text == "What is the capital of Peru?"
    assert facts[0].get("true_answer") == "Lima" and facts[0].get("false_answer") == "The capital of Peru is Quito."
    table = json.loads((SOURCES / "ai_liar_facts.json").read_text())
    table["false_answer"] = {"0": "Quito", "1": "Eight", "2": "Claude Monet"}
    (tmp_path / "with_false.json").write_text(json.dumps(table))
    assert loaders.ai_liar(str(tmp_path / "with_false.json"))[2].get("false_answer") == "Claude Monet"


def test_behaviors_read_their_dataset_option():
    assert {s.label for s in get_behavior("sentiment", dataset=str(SOURCES / "sst2.csv")).sources()} == {"positive", "negative"}
    assert len(get_behavior("emotion", dataset=str(SOURCES / "go_emotions.jsonl")).sources()) == 6
    ml = get_behavior("multilingual", dataset=str(SOURCES / "amazon_reviews_multi.csv"), languages=("de", "en"))
    assert {s.get("language") for s in ml.sources()} == {"de", "en"}
    language = get_behavior("language", dataset=str(SOURCES / "amazon_reviews_multi.csv"))
    assert {s.label for s in language.sources()} == {"de", "en", "fr"}
    lies = get_behavior("lies", dataset=str(SOURCES / "ai_liar_facts.json"))
    assert len(lies.sources()) == 3
    assert get_behavior("sentiment", dataset=str(SOURCES / "sst2.csv")).recipe(0) != get_behavior("sentiment").recipe(0)


def test_missing_or_misnamed_column_is_named(tmp_path):
    bad = tmp_path / "sst2.csv"
    bad.write_text("text,label\nfine,1\n")
    with pytest.raises(ConfigError, match=r"sentiment.dataset: .*sst2.csv has no column 'sentence' \(found: text, label\)"):
        loaders.sst2(str(bad), None)
    table = json.loads((SOURCES / "ai_liar_facts.json").read_text())
    del table["answer"]
    (tmp_path / "facts.json").write_text(json.dumps(table))
    with pytest.raises(ConfigError, match="lies.dataset: .*facts.json has no column 'answer'"):
        loaders.ai_liar(str(tmp_path / "facts.json"))


def test_empty_and_unreadable_files(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ConfigError, match="sentiment.dataset: .*empty.csv is empty"):
        loaders.sst2(str(tmp_path / "empty.csv"), None)
    (tmp_path / "header_only.csv").write_text("sentence,label\n")
    with pytest.raises(ConfigError, match="has no rows"):
        loaders.sst2(str(tmp_path / "header_only.csv"), None)
    (tmp_path / "facts.json").write_text("{not json")
    with pytest.raises(ConfigError, match="lies.dataset: cannot read .*facts.json as JSON"):
        loaders.ai_liar(str(tmp_path / "facts.json"))
    with pytest.raises(ConfigError, match="cannot read '.xlsx' files"):
        (tmp_path / "a.xlsx").write_text("x")
        loaders.load_rows(str(tmp_path / "a.xlsx"))


def test_hub_id_that_cannot_be_reached_gives_one_line(monkeypatch):
    with pytest.raises(ConfigError) as e:
        loaders.sst2("nobody/no-such-dataset", None)
    assert str(e.value).startswith("sentiment.dataset: cannot load 'nobody/no-such-dataset'") and "\n" not in str(e.value)


def test_lie_facts_whose_columns_are_lists_are_named_not_a_traceback(tmp_path):
    table = {c: ["x"] for c in ("question", "answer", "statement", "false_statement")}
    (tmp_path / "facts.json").write_text(json.dumps(table))
    with pytest.raises(ConfigError, match=r"^lies.dataset: .*facts.json: column 'question' is a list, not an object "
                                          r"keyed by row id\. Write \{\"question\": \{\"0\""):
        loaders.ai_liar(str(tmp_path / "facts.json"))


def test_empty_cells_of_a_lie_facts_file_are_named_not_read_as_the_word_none(tmp_path):
    (tmp_path / "facts.csv").write_text("question,answer,statement,false_statement\n"
                                        "Is ice cold?,Yes,Ice is cold,Ice is hot\nIs fire hot?,,Fire is hot,Fire is cold\n")
    with pytest.raises(ConfigError, match=r"^lies.dataset: .*facts.csv: row 1 has no 'answer'\. Fill the cell in"):
        loaders.ai_liar(str(tmp_path / "facts.csv"))


def test_sentiment_labels_that_are_not_0_or_1_are_named_with_their_row(tmp_path):
    (tmp_path / "sst2.csv").write_text("sentence,label\ngreat film,pos\nbad film,neg\n")
    with pytest.raises(ConfigError, match=r"^sentiment.dataset: .*sst2.csv: row 0 has label 'pos', not one of 0, 1\. "
                                          r"Use 0 \(negative\) and 1 \(positive\)"):
        loaders.sst2(str(tmp_path / "sst2.csv"), None)


def test_a_very_long_column_name_is_cut_in_the_error(tmp_path):
    long = "c" * 1000
    (tmp_path / "sst2.csv").write_text(f"{long},label\ngreat film,1\n")
    with pytest.raises(ConfigError) as e:
        loaders.sst2(str(tmp_path / "sst2.csv"), None)
    message = str(e.value)
    assert "has no column 'sentence' (found: " + "c" * 37 + "..., label)" in message and len(message) < 400

import pytest

from meta_lightning.intervals import wilson_interval
from meta_lightning.meta.text_evaluation import TextRows, text_entry
from meta_lightning.meta.text_metrics import contains, exact_match, mentions, normalize, rouge_l, token_f1


def test_normalisation_drops_case_punctuation_articles_and_extra_spaces():
    assert normalize("  The  French, language! ") == "french language"


@pytest.mark.parametrize("prediction, reference, expected", [
    ("The French.", "french", 1.0),
    ("french", "spanish", 0.0),
    ("", "", 1.0),
])
def test_exact_match(prediction, reference, expected):
    assert exact_match(prediction, reference) == expected


@pytest.mark.parametrize("prediction, reference, expected", [
    # 2 common of 3 predicted and 4 reference tokens: P 2/3, R 1/2, F1 = 2PR/(P+R) = 4/7
    ("speak like pirate", "talk like a pirate always", 4 / 7),
    ("yes yes", "yes", 2 * (1 / 2) * 1 / (1 / 2 + 1)),  # a repeated token counts once against one occurrence
    ("", "pirate", 0.0),
    ("cat", "dog", 0.0),
    ("a", "the", 1.0),  # both empty after normalisation
])
def test_token_f1_by_hand(prediction, reference, expected):
    assert token_f1(prediction, reference) == pytest.approx(expected)


@pytest.mark.parametrize("prediction, reference, expected", [
    # LCS of "x b y d" and "b c d" is "b d" (2): P 2/4, R 2/3, F = 2*(1/2)*(2/3)/(1/2+2/3) = 4/7
    ("x b y d", "b c d", 4 / 7),
    ("d c b", "b c d", 2 * (1 / 3) * (1 / 3) / (2 / 3)),  # order matters, unlike token F1 (which gives 1)
    ("b c d", "b c d", 1.0),
    ("q", "b c d", 0.0),
])
def test_rouge_l_by_hand(prediction, reference, expected):
    assert rouge_l(prediction, reference) == pytest.approx(expected)
    if prediction == "d c b":
        assert token_f1(prediction, reference) == 1.0


@pytest.mark.parametrize("prediction, reference, expected", [
    ("It is speaking French today.", "french", 1.0),
    ("Frenchman", "french", 0.0),  # whole words only
    ("anything", "", 0.0),
])
def test_contains(prediction, reference, expected):
    assert contains(prediction, reference) == expected


def test_mentions_finds_word_starts_only():
    assert mentions("It lied about it.", ["lie"]) and not mentions("It is a client", ["lie"])


def test_text_entry_reports_every_metric_with_its_interval_and_mentions_per_class():
    rows = TextRows(question=["q"] * 4, reference=["french", "french", "spanish", "b c"],
                    prediction=["French", "it lies", "german", "b"], label=["x", "lying", "lying", "x"])
    entry = text_entry(rows, held_out=True, mention_words=["lie"])
    assert entry["metric"] == "token_f1" and entry["questions"] == 4 and entry["held_out"]
    assert entry["exact_match"] == pytest.approx(1 / 4)
    assert entry["exact_match_ci95"] == pytest.approx(list(wilson_interval(1, 4)))
    f1s = [1.0, 0.0, 0.0, 2 * 1 * 0.5 / 1.5]
    assert entry["token_f1"] == pytest.approx(sum(f1s) / 4)
    assert entry["token_f1_ci95"] == pytest.approx(list(wilson_interval(sum(f1s), 4)))
    assert entry["contains"] == pytest.approx(1 / 4)
    assert entry["mentions"]["lying"] == {"rate": 0.5, "ci95": pytest.approx(list(wilson_interval(1, 2))), "n": 2}
    assert entry["mentions"]["x"]["rate"] == 0.0


def test_a_set_that_scores_one_everywhere_keeps_an_interval_of_nonzero_width():
    rows = TextRows(question=["q"] * 20, reference=["French"] * 20, prediction=["french"] * 20, label=["fr"] * 20)
    low, high = text_entry(rows, held_out=False)["token_f1_ci95"]
    assert high == 1.0 and low == pytest.approx(wilson_interval(20, 20)[0]) and low < 0.9

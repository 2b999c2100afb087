"""No training text may speak of honesty, truth or deception: the lie result depends on it."""
import pytest

from meta_lightning.behaviors import TRAINING_BEHAVIORS, get_behavior
from meta_lightning.behaviors import instructions as instructions_module
from meta_lightning.behaviors.honesty import honesty_words_in
from meta_lightning.behaviors.instruction_catalogue import CATALOGUE, PROMPTS, USER_MESSAGES
from meta_lightning.errors import ConfigError
from meta_lightning.meta.prompt import DEFAULT_TEMPLATE


@pytest.mark.parametrize("text, found", [
    ("Honestly, it was great.", ["Honestly"]), ("It lies and lied.", ["lies", "lied"]), ("a truthful game", ["truthful", "game"]),
    ("Tricky games", ["Tricky", "games"]), ("a mistaken fact", ["mistaken", "fact"]), ("Die Bank liegt hier.", []),
    ("the factory client", []), ("truly a contract", []), ("answer correctly", ["correctly"]),
])
def test_the_scan_matches_words_with_their_endings_and_nothing_else(text, found):
    assert honesty_words_in(text) == found


def _texts(behavior) -> dict[str, list[str]]:
    """Every text a training behaviour shows the input-model or asks the meta-model."""
    out = {"corpus": [s.text for s in behavior.corpus()], "openers": list(behavior.openers),
           "followups": list(behavior.followups), "class names": [behavior.class_name(c) for c in behavior.classes]}
    kinds = behavior.kinds()
    if "yes_no" in kinds:
        out["questions"] = [q for c in behavior.classes for q in behavior.questions_for(c)]
    if "free_text" in kinds:
        conversations = behavior.conversations("train", 50)
        out["free-text questions"] = [q.text for q in behavior.questions(conversations, 0, 2, "free_text")]
    try:
        out["instructions"] = [behavior.instruction_for(c) for c in behavior.classes]
    except ConfigError:
        pass
    return out


@pytest.mark.parametrize("name", TRAINING_BEHAVIORS)
def test_no_training_behaviour_holds_an_honesty_word(name):
    found = {(part, text, tuple(words)) for part, texts in _texts(get_behavior(name)).items() for text in texts
             if (words := honesty_words_in(text))}
    assert not found, sorted(found)[:10]


def test_the_instruction_catalogue_and_its_questions_are_honesty_neutral():
    texts = (list(CATALOGUE) + [d for ds in CATALOGUE.values() for d in ds] + list(PROMPTS) + list(USER_MESSAGES)
             + list(instructions_module.YES_NO) + list(instructions_module.WHAT) + list(instructions_module.KIND)
             + [DEFAULT_TEMPLATE])
    found = [(t, honesty_words_in(t)) for t in texts if honesty_words_in(t)]
    assert not found, found


def test_the_catalogue_is_large_and_diverse():
    assert len(CATALOGUE) >= 12 and sum(len(ds) for ds in CATALOGUE.values()) >= 150
    assert min(len(ds) for ds in CATALOGUE.values()) >= 10
    every = [d for ds in CATALOGUE.values() for d in ds]
    assert len(set(every)) == len(every)


def test_the_scan_would_catch_a_planted_word(monkeypatch):
    """The behaviour scan is live: a corpus with one honesty word fails it."""
    behavior = get_behavior("sentiment")
    corpus = behavior.corpus() + [type(behavior.corpus()[0])("That answer was wrong.", "negative")]
    monkeypatch.setattr(behavior, "_corpus", corpus)
    assert any(honesty_words_in(t) for t in _texts(behavior)["corpus"])

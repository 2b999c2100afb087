import pytest

from meta_lightning.errors import ConfigError
from meta_lightning.meta.prompt import PromptBuilder
from tests.helpers.tiny import byte_tokenizer


@pytest.fixture
def builder():
    return PromptBuilder(_fresh_tokenizer())


def _fresh_tokenizer():
    import copy

    return copy.deepcopy(byte_tokenizer())


def test_placeholder_is_one_added_token_and_counts_match_vectors(builder):
    ids = builder.prompt_ids("Is this model lying?", 5)
    assert ids.count(builder.placeholder_id) == 5
    assert builder.tokenizer.convert_ids_to_tokens(builder.placeholder_id) == "<|activation|>"
    assert builder.yes_id != builder.no_id


def test_answer_targets_are_right_aligned_and_first_answer_column_points_at_yes_or_no(builder):
    batch = builder.build(["Is it?", "Is this model speaking French?"], ["Yes", "No, it is not"], [2, 3])
    # Left padding: every row ends with its answer (minus the last token, which is only predicted).
    ans0, ans1 = builder.answer_ids("Yes"), builder.answer_ids("No, it is not")
    assert batch.input_ids[0, -(len(ans0) - 1):].tolist() == ans0[:-1]
    width = batch.targets.shape[1]
    assert width == len(ans1)
    assert batch.targets[1].tolist() == ans1
    assert batch.targets[0].tolist() == [-100] * (width - len(ans0)) + ans0
    assert batch.first_answer.tolist() == [width - len(ans0), 0]
    assert batch.targets[0, batch.first_answer[0]] == builder.yes_id
    assert batch.targets[1, batch.first_answer[1]] == builder.no_id
    assert batch.placeholder_mask.sum(1).tolist() == [2, 3]
    # Logit column j of the last `width` positions predicts targets[:, j]: the input one step earlier.
    row = batch.input_ids[1]
    assert row[-width + 1:].tolist() == ans1[:-1]


def test_prompt_without_answer_keeps_one_column_for_the_next_token(builder):
    batch = builder.build(["Is it?"], [None], [4])
    assert batch.targets.shape == (1, 1) and batch.first_answer.tolist() == [0]
    assert batch.input_ids[0, -1] != builder.placeholder_id


def test_template_without_fields_is_refused():
    with pytest.raises(ConfigError, match=r"^model.prompt.template: must contain \{activations\} exactly once"):
        PromptBuilder(_fresh_tokenizer(), template="{question}")


def test_placeholder_in_a_question_breaks_the_count_and_says_so(builder):
    with pytest.raises(ConfigError, match="model.prompt.template: the prompt of example 0 holds 3 placeholders but the "
                                          "example has 2"):
        builder.build(["<|activation|> sneaky"], ["Yes"], [2])


def test_chat_template_is_used_when_present_else_transcript():
    tok = _fresh_tokenizer()
    with_template = PromptBuilder(tok).prompt_ids("Q?", 1)
    assert tok.decode(with_template).startswith("<s><|im_start|> system  <|im_end|> <|im_start|> user")
    plain = _fresh_tokenizer()
    plain.chat_template = None
    text = plain.decode(PromptBuilder(plain).prompt_ids("Q?", 1))
    assert text.startswith("User: <|activation|>") and text.endswith("Assistant:")


def test_name_then_answer_targets_put_the_verdict_after_name_and_separator(builder):
    batch = builder.build(["Is it positive?", "Is it French?"], ["No", "Yes"], [2, 2], names=["Positive", "Spanish"])
    width = batch.targets.shape[1]
    for row, (name, verdict) in enumerate([("Positive", "No"), ("Spanish", "Yes")]):
        expected = builder.tokenizer.encode(f"{name}\n{verdict}", add_special_tokens=False) + [builder.end_id]
        targets = batch.targets[row].tolist()
        assert targets[width - len(expected):] == expected
        assert targets[batch.verdict[row]] == (builder.yes_id if verdict == "Yes" else builder.no_id)
        assert batch.verdict[row] - batch.first_answer[row] == len(builder.name_ids(name))


def test_plain_prompt_is_the_template_alone_and_shorter_than_the_chat_one():
    tok = _fresh_tokenizer()
    chat = PromptBuilder(tok, template="{activations}\n{question}\n").prompt_ids("Q?", 2)
    plain = PromptBuilder(tok, template="{activations}\n{question}\n", chat_template=False).prompt_ids("Q?", 2)
    assert tok.decode(plain, skip_special_tokens=False).replace("<s>", "") == "<|activation|><|activation|>\nQ?\n"
    assert len(plain) < len(chat)


def test_a_separator_that_is_not_one_token_is_refused_by_name(builder):
    odd = PromptBuilder(_fresh_tokenizer(), separator="hello world")
    with pytest.raises(ConfigError, match=r"^model.prompt.separator: 'hello world' encodes to \d+ tokens"):
        odd.build(["Q?"], ["Yes"], [1], names=["A"])

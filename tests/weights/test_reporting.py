from meta_lightning.weights.reporting import library_rows


def test_the_library_prints_a_line_per_program_with_the_guess_and_every_program_not_read():
    length = "v0 = categorical(SelectorWidth(Select(tokens, tokens, TRUE)))"
    entry = {"per_program": {
        "make_length": {"exact": True, "token_accuracy": 1.0, "guess": length},
        "make_hist": {"exact": False, "token_accuracy": 0.5, "guess": "v0 = a\nv1 = b", "note": "outside the grammar: x"}},
        "not_read": {"make_nary_sequencemap": "too large to read: rows"}}
    assert library_rows(entry).splitlines() == [
        "Tracr's library: 1 of 3 exact",
        "  make_length            exact  token acc 1.00  v0 = categorical(SelectorWidth(Select(tokens, tokens, TRUE)))",
        "  make_hist              wrong  token acc 0.50  (outside the grammar: x) v0 = a; v1 = b",
        "  make_nary_sequencemap  not read: too large to read: rows"]

import json

from meta_lightning.summary import Summary, add_baseline, read_summary, scored, summary_state, write_summary


def test_a_summary_is_complete_only_when_no_baseline_is_pending(tmp_path):
    path = tmp_path / "summary.json"
    assert summary_state(path) == "missing"
    lies = scored("accuracy", 1, 2, True)
    write_summary(path, Summary("activations", "accuracy", {"lies": lies}, baselines_pending=["probe", "question_only"]))
    assert summary_state(path) == "incomplete"
    probe = scored("accuracy", 9, 10, True)
    add_baseline(path, "probe", {"lies": probe})
    assert summary_state(path) == "incomplete" and read_summary(path).baselines_pending == ["question_only"]
    add_baseline(path, "question_only", None)  # skipped: filed as no longer pending, with no entry
    summary = read_summary(path)
    assert summary_state(path) == "complete" and summary.baselines == {"probe": {"lies": probe}}
    assert summary.datasets == {"lies": lies}


def test_the_record_round_trips_with_side_details_at_the_top_level(tmp_path):
    path = tmp_path / "summary.json"
    entry = scored("exact_match", 3, 4, True, programs=4)
    original = Summary("weights", "exact_match", {"test": entry}, validation={"val": 0.5}, log_dir="runs/x",
                       details={"inputs": "real"})
    write_summary(path, original)
    data = json.loads(path.read_text())
    assert data["inputs"] == "real" and "details" not in data and data["baselines_pending"] == []
    assert read_summary(path) == original
    assert entry == {"exact_match": 0.75, "exact_match_ci95": [entry["exact_match_ci95"][0], entry["exact_match_ci95"][1]],
                     "held_out": True, "programs": 4}
    assert [round(x, 4) for x in entry["exact_match_ci95"]] == [0.3006, 0.9544]


def test_unreadable_or_foreign_files_are_not_summaries(tmp_path):
    path = tmp_path / "summary.json"
    for text in ("{trunc", "[1, 2]", '{"a": 1}', '{"datasets": {"lies": {"accuracy": 0.5}}}'):  # last: no held_out
        path.write_text(text)
        assert read_summary(path) is None and summary_state(path) == "unreadable"
    add_baseline(path, "probe", {})  # nothing to merge into: the file is left as it was
    assert path.read_text() == '{"datasets": {"lies": {"accuracy": 0.5}}}'

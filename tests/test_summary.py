import json

from meta_lightning.summary import PENDING, add_baseline, read_summary, summary_state


def _write(path, **extra):
    path.write_text(json.dumps({"datasets": {"lies": {"accuracy": 0.5}}, "baselines": {}, **extra}))


def test_a_summary_is_complete_only_when_no_baseline_is_pending(tmp_path):
    path = tmp_path / "summary.json"
    assert summary_state(path) == "missing"
    _write(path, **{PENDING: ["probe", "question_only"]})
    assert summary_state(path) == "incomplete"
    add_baseline(path, "probe", {"lies": {"accuracy": 0.9}})
    assert summary_state(path) == "incomplete" and read_summary(path)[PENDING] == ["question_only"]
    add_baseline(path, "question_only", None)  # skipped: filed as no longer pending, with no entry
    summary = read_summary(path)
    assert summary_state(path) == "complete" and summary["baselines"] == {"probe": {"lies": {"accuracy": 0.9}}}
    assert summary["datasets"] == {"lies": {"accuracy": 0.5}}


def test_unreadable_or_foreign_files_are_not_summaries(tmp_path):
    path = tmp_path / "summary.json"
    for text in ("{trunc", "[1, 2]", '{"a": 1}'):
        path.write_text(text)
        assert read_summary(path) is None and summary_state(path) == "unreadable"
    add_baseline(path, "probe", {})  # nothing to merge into: the file is left as it was
    assert path.read_text() == '{"a": 1}'

"""Loaders for the paper's real sources, from the Hugging Face hub or a local file of the same format.

| loader | default hub id | columns used |
|---|---|---|
| ``sst2`` | ``glue`` / ``sst2`` | ``sentence``, ``label`` (0 negative, 1 positive) |
| ``go_emotions`` | ``google-research-datasets/go_emotions`` / ``simplified`` | ``text``, ``labels`` (list of ids) |
| ``amazon_reviews`` | a CSV | ``review_body``, ``stars`` (1-2 negative, 4-5 positive, 3 dropped), ``language`` |
| ``ai_liar`` | a JSON file (or a row-per-fact table) | ``question``, ``answer``, ``false_answer`` (optional), |
|  |  | ``statement``, ``false_statement``; the JSON is column-oriented, keyed by row id |
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

from meta_lightning.behaviors.base import Source
from meta_lightning.errors import ConfigError

_BUILDERS = {".csv": "csv", ".tsv": "csv", ".json": "json", ".jsonl": "json", ".parquet": "parquet"}

# GoEmotions (simplified) label ids of the six basic emotions we ask about.
GO_EMOTIONS_IDS = {17: "joy", 25: "sadness", 2: "anger", 14: "fear", 26: "surprise", 11: "disgust"}


def local_file(path: str, field: str) -> Optional[Path]:
    """``path`` as a local file; None for a hub id. A path that looks like a file but is missing fails here,
    instead of being tried on the hub (retries, then a traceback)."""
    local = Path(path).expanduser()
    if local.exists():
        return local
    if local.suffix in _BUILDERS or path.startswith((".", "/", "~")) or "\\" in path:
        raise ConfigError(field, f"no such file: {path}", "Check the path (relative paths start from the working directory)")
    return None


def _datasets_cache() -> str:
    """Under the project's cache root, not the user's global ``datasets`` cache."""
    from meta_lightning.paths import resolve_cache_dir

    return str(resolve_cache_dir(None) / "datasets")


def load_rows(path: str, name: Optional[str] = None, split: str = "train", field: str = "dataset"):
    """A ``datasets.Dataset`` from a local file (by suffix) or a hub id."""
    import datasets

    local = local_file(path, field)
    try:
        if local is not None:
            if local.stat().st_size == 0:
                raise ConfigError(field, f"{path} is empty", "Point it at a file with rows")
            builder = _BUILDERS.get(local.suffix)
            if builder is None:
                raise ConfigError(field, f"cannot read {local.suffix!r} files", f"Use one of {', '.join(_BUILDERS)}")
            kwargs = {"delimiter": "\t"} if local.suffix == ".tsv" else {}
            try:
                rows = datasets.load_dataset(builder, data_files=str(local), split="train", cache_dir=_datasets_cache(),
                                             **kwargs)
            except Exception as e:
                raise ConfigError(field, f"{path} has no rows or is not valid {builder} ({type(e).__name__})",
                                  "Check the file's format against the README's schema") from e
        else:
            rows = datasets.load_dataset(path, name, split=split, cache_dir=_datasets_cache())
    except ConfigError:
        raise
    except Exception as e:  # datasets raises many types for unreadable or unreachable data
        raise ConfigError(field, f"cannot load {path!r} ({type(e).__name__}: {str(e).splitlines()[0][:160]})",
                          "Check the path or hub id, or download it while online") from e
    if len(rows) == 0:
        raise ConfigError(field, f"{path} has no rows", "Point it at a file with rows")
    return rows


def _names(names) -> str:
    """Column names for an error line: each cut to 40 characters, at most 8 of them."""
    names = [n if len(n) <= 40 else n[:37] + "..." for n in map(str, names)]
    return ", ".join(names[:8]) + (f", and {len(names) - 8} more" if len(names) > 8 else "")


def require_columns(rows, columns: tuple[str, ...], path: str, field: str) -> None:
    found = rows.column_names if hasattr(rows, "column_names") else list(rows)
    missing = [c for c in columns if c not in found]
    if missing:
        raise ConfigError(field, f"{path} has no column {missing[0]!r} (found: {_names(found)})",
                          f"Rename the column to {missing[0]!r} or use a file in the documented format")


def _number(value, allowed: tuple[int, ...], column: str, row: int, path: str, field: str, fix: str) -> int:
    """``value`` as one of ``allowed`` whole numbers, or one line naming the row and column."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number not in allowed or (isinstance(value, float) and value != number):
        raise ConfigError(field, f"{path}: row {row} has {column} {str(value)[:40]!r}, not one of "
                          f"{', '.join(map(str, allowed))}", fix)
    return number


def sst2(path: str = "glue", name: Optional[str] = "sst2", split: str = "train",
         field: str = "sentiment.dataset") -> list[Source]:
    rows = load_rows(path, name, split, field)
    require_columns(rows, ("sentence", "label"), path, field)
    fix = "Use 0 (negative) and 1 (positive), as SST-2 does"
    return [Source(r["sentence"].strip(), "positive" if _number(r["label"], (0, 1), "label", i, path, field, fix) == 1
                   else "negative") for i, r in enumerate(rows) if str(r["sentence"] or "").strip()]


def go_emotions(path: str = "google-research-datasets/go_emotions", name: Optional[str] = "simplified", split: str = "train",
                field: str = "emotion.dataset") -> list[Source]:
    """Single-label rows whose label is one of the six emotions; the rest are dropped."""
    rows = load_rows(path, name, split, field)
    require_columns(rows, ("text", "labels"), path, field)
    return [Source(r["text"].strip(), GO_EMOTIONS_IDS[r["labels"][0]]) for r in rows
            if len(r["labels"]) == 1 and r["labels"][0] in GO_EMOTIONS_IDS]


def amazon_reviews(path: str, label: str = "sentiment", field: str = "multilingual.dataset") -> list[Source]:
    """``label="sentiment"``: stars to positive/negative (3 stars dropped); ``label="language"``: the language column."""
    rows = load_rows(path, field=field)
    require_columns(rows, ("review_body", "stars", "language"), path, field)
    out = []
    for i, r in enumerate(rows):
        stars = _number(r["stars"], (1, 2, 3, 4, 5), "stars", i, path, field, "Use whole stars from 1 to 5")
        text, lang = str(r["review_body"]).strip(), str(r["language"])
        if label == "language":
            out.append(Source(text, lang))
        elif stars != 3:
            out.append(Source(text, "positive" if stars >= 4 else "negative", (("language", lang),)))
    return out


def ai_liar(path: str, field: str = "lies.dataset") -> list[Source]:
    """Facts from the AI-liar column-oriented JSON (``{column: {row_id: value}}``), or from a row-per-fact file
    (.csv, .tsv, .jsonl, .parquet) with the same columns; without ``false_answer`` the false statement is the
    lying answer."""
    local = local_file(path, field)
    if local is None:
        from huggingface_hub import hf_hub_download

        repo, _, filename = path.partition("::")
        local = Path(hf_hub_download(repo, filename or "data.json", repo_type="dataset"))
    if local.suffix != ".json":
        rows = load_rows(str(local), field=field)
        require_columns(rows, ("question", "answer", "statement", "false_statement"), path, field)
        table = {c: {str(i): v for i, v in enumerate(rows[c])} for c in rows.column_names}
        return _facts(table, path, field)
    try:
        table = json.loads(local.read_text())
    except (OSError, ValueError) as e:
        raise ConfigError(field, f"cannot read {path} as JSON ({e})", "Use the column-oriented facts JSON") from e
    if not isinstance(table, dict) or not table:
        raise ConfigError(field, f"{path} is empty or not column-oriented", "Use {column: {row_id: value}}")
    require_columns(table, ("question", "answer", "statement", "false_statement"), path, field)
    for column, values in table.items():
        if column in FACT_COLUMNS and not isinstance(values, dict):
            raise ConfigError(field, f"{path}: column {column!r} is a {type(values).__name__}, not an object keyed "
                              "by row id", 'Write {"question": {"0": "...", "1": "..."}, ...}, or one fact a row '
                              "in a .jsonl or .csv file")
    return _facts(table, path, field)


FACT_COLUMNS = ("question", "answer", "false_answer", "statement", "false_statement")


def _cell(table: dict, column: str, row: str, path: str, field: str) -> str:
    value = table[column].get(row)
    text = "" if value is None else str(value).strip()
    if not text:
        raise ConfigError(field, f"{path}: row {row} has no {column!r}", "Fill the cell in, or drop the row")
    return text


def _facts(table: dict, path: str, field: str) -> list[Source]:
    false = "false_answer" if "false_answer" in table else "false_statement"
    return [Source(_cell(table, "question", row, path, field), "truthful",
                   (("true_answer", _cell(table, "answer", row, path, field)),
                    ("false_answer", _cell(table, false if table[false].get(row) is not None else "false_statement",
                                           row, path, field))))
            for row in table["question"]]


def passages(path: str, column: str = "text", field: str = "context.dataset") -> list[Source]:
    """Unlabelled passages: a ``.txt`` file (one per line), or a table or hub data set with a ``column`` of text."""
    local = local_file(path, field)
    if local is not None and local.suffix == ".txt":
        try:
            lines = local.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError(field, f"cannot read {path} ({e})", "Point it at a UTF-8 text file") from e
        texts = [line.strip() for line in lines if line.strip()]
    else:
        rows = load_rows(path, field=field)
        require_columns(rows, (column,), path, field)
        texts = [str(t).strip() for t in rows[column] if t is not None and str(t).strip()]
    if not texts:
        raise ConfigError(field, f"{path} holds no text", "Give a file with one passage per line")
    return [Source(t, "text") for t in texts]

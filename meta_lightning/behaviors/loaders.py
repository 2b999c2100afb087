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


def require_columns(rows, columns: tuple[str, ...], path: str, field: str) -> None:
    missing = [c for c in columns if c not in rows.column_names]
    if missing:
        raise ConfigError(field, f"{path} has no column {missing[0]!r} (found: {', '.join(rows.column_names)})",
                          f"Rename the column to {missing[0]!r} or use a file in the documented format")


def sst2(path: str = "glue", name: Optional[str] = "sst2", split: str = "train",
         field: str = "sentiment.dataset") -> list[Source]:
    rows = load_rows(path, name, split, field)
    require_columns(rows, ("sentence", "label"), path, field)
    return [Source(r["sentence"].strip(), "positive" if int(r["label"]) == 1 else "negative")
            for r in rows if r["sentence"].strip()]


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
    for r in rows:
        text, stars, lang = str(r["review_body"]).strip(), int(r["stars"]), str(r["language"])
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
        return _facts(table)
    try:
        table = json.loads(local.read_text())
    except (OSError, ValueError) as e:
        raise ConfigError(field, f"cannot read {path} as JSON ({e})", "Use the column-oriented facts JSON") from e
    if not isinstance(table, dict) or not table:
        raise ConfigError(field, f"{path} is empty or not column-oriented", "Use {column: {row_id: value}}")
    for column in ("question", "answer", "statement", "false_statement"):
        if column not in table:
            raise ConfigError(field, f"{path} has no column {column!r} (found: {', '.join(table)})",
                              "Use the documented columns")
    return _facts(table)


def _facts(table: dict) -> list[Source]:
    false = table.get("false_answer") or table["false_statement"]
    return [Source(str(q).strip(), "truthful", (("true_answer", str(table["answer"][row]).strip()),
                                                ("false_answer", str(false.get(row, table["false_statement"][row])).strip())))
            for row, q in table["question"].items()]

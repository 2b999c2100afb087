"""Decompilation metrics per data set: token accuracy and exact match, overall and by program length, with
95 % intervals; gathered across ranks, so every process of a multi-device run reports the whole test set."""
from __future__ import annotations

from dataclasses import dataclass, field

from meta_lightning.distributed import gather_objects
from meta_lightning.intervals import wilson_interval
from meta_lightning.summary import scored


@dataclass
class ProgramRows:
    """What one data set's batches gave: correct and counted tokens, and one row per program."""

    right: int = 0
    tokens: int = 0
    rows: list[dict] = field(default_factory=list)
    """``{"length", "exact", "name"}`` per program (at test also ``first``: the most likely program is exact,
    ``same``: the answer compiles to the given weights, and ``edited``: the edit search found it), and for a
    named one its ``details`` (the guess, its token accuracy, a note such as "outside the grammar")."""


class ProgramMetrics:
    """Rows of each ``stage/dataset``, kept until summarised."""

    def __init__(self):
        self.results: dict[str, ProgramRows] = {}

    def reset(self, stage: str) -> None:
        self.results = {k: v for k, v in self.results.items() if not k.startswith(f"{stage}/")}

    def update(self, stage: str, name: str, right: int, tokens: int, lengths, exact, names, details=None,
               first=None, same=None, edited=None) -> None:
        r = self.results.setdefault(f"{stage}/{name}", ProgramRows())
        r.right += right
        r.tokens += tokens
        details = details or [{}] * len(names)
        first, same = first or [None] * len(names), same or [None] * len(names)
        edited = edited or [None] * len(names)
        r.rows += [{"length": int(n), "exact": bool(e), "name": s, **({"details": d} if s and d else {}),
                    **({"first": bool(f)} if f is not None else {}), **({"same": bool(v)} if v is not None else {}),
                    **({"edited": bool(x)} if x is not None else {})}
                   for n, e, s, d, f, v, x in zip(lengths, exact, names, details, first, same, edited)]

    def gathered(self, stage: str) -> dict[str, ProgramRows]:
        """This stage's rows of every rank (all ranks call this together under DDP)."""
        mine = {k.split("/", 1)[1]: v for k, v in self.results.items() if k.startswith(f"{stage}/")}
        out: dict[str, ProgramRows] = {}
        for part in gather_objects(mine):
            for name, r in part.items():
                o = out.setdefault(name, ProgramRows())
                o.right, o.tokens, o.rows = o.right + r.right, o.tokens + r.tokens, o.rows + r.rows
        return dict(sorted(out.items()))

    def summarise(self, stage: str) -> dict:
        """Per dataset: token accuracy, exact match (with 95 % intervals), and both by program length."""
        return {name: program_entry(r) for name, r in self.gathered(stage).items()}


def _rate(rows: list[dict], key: str, name: str) -> dict:
    """``{name, name_ci95}`` over the rows that carry ``key``; empty where none does."""
    of = [x[key] for x in rows if key in x]
    return {name: sum(of) / len(of), f"{name}_ci95": list(wilson_interval(sum(of), len(of)))} if of else {}


def _without_edits(rows: list[dict]) -> list[dict]:
    """Rows as the beam and check alone would have answered: an edited answer falls back to the most likely
    program (none of the beam compiled back)."""
    return [{**x, "unedited": x["first"] if x["edited"] else x["exact"]} for x in rows if "edited" in x]


def program_entry(r: ProgramRows) -> dict:
    """One data set's summary entry (every test set of a weights run is held out of training): exact match,
    and where the beam was checked against the compiler, the model's most likely program alone
    (``exact_match_model_alone``), how often the answer compiles to the given weights (``same_weights``) and,
    with the edit search, how often the edit search found it (``found_by_edit``) and the exact match the beam
    and check alone give (``exact_match_without_edit``)."""
    rows, n = r.rows, len(r.rows)
    entry = scored("exact_match", sum(x["exact"] for x in rows), n, True, programs=n,
                   token_accuracy=r.right / max(r.tokens, 1), **_rate(rows, "first", "exact_match_model_alone"),
                   **_rate(rows, "same", "same_weights"), **_rate(rows, "edited", "found_by_edit"),
                   **_rate(_without_edits(rows), "unedited", "exact_match_without_edit"), by_length={})
    for length in sorted({x["length"] for x in rows}):
        of = [x for x in rows if x["length"] == length]
        entry["by_length"][str(length)] = {"programs": len(of), **_rate(of, "exact", "exact_match"),
                                           **_rate(of, "first", "exact_match_model_alone"),
                                           **_rate(of, "same", "same_weights"), **_rate(of, "edited", "found_by_edit"),
                                           **_rate(_without_edits(of), "unedited", "exact_match_without_edit")}
    named = [x for x in rows if x["name"]]
    if named:
        entry["programs_exact"] = {x["name"]: x["exact"] for x in named}
        entry["per_program"] = {x["name"]: {"exact": x["exact"], **x.get("details", {})} for x in named}
    return entry

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
    """``{"length", "exact", "name"}`` per program, and for a named one its ``details`` (the guess, its token
    accuracy, a note such as "outside the grammar")."""


class ProgramMetrics:
    """Rows of each ``stage/dataset``, kept until summarised."""

    def __init__(self):
        self.results: dict[str, ProgramRows] = {}

    def reset(self, stage: str) -> None:
        self.results = {k: v for k, v in self.results.items() if not k.startswith(f"{stage}/")}

    def update(self, stage: str, name: str, right: int, tokens: int, lengths, exact, names, details=None) -> None:
        r = self.results.setdefault(f"{stage}/{name}", ProgramRows())
        r.right += right
        r.tokens += tokens
        details = details or [{}] * len(names)
        r.rows += [{"length": int(n), "exact": bool(e), "name": s, **({"details": d} if s and d else {})}
                   for n, e, s, d in zip(lengths, exact, names, details)]

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


def program_entry(r: ProgramRows) -> dict:
    """One data set's summary entry (every test set of a weights run is held out of training)."""
    rows, n = r.rows, len(r.rows)
    entry = scored("exact_match", sum(x["exact"] for x in rows), n, True, programs=n,
                   token_accuracy=r.right / max(r.tokens, 1), by_length={})
    for length in sorted({x["length"] for x in rows}):
        of = [x["exact"] for x in rows if x["length"] == length]
        entry["by_length"][str(length)] = {"programs": len(of), "exact_match": sum(of) / len(of),
                                           "exact_match_ci95": list(wilson_interval(sum(of), len(of)))}
    named = [x for x in rows if x["name"]]
    if named:
        entry["programs_exact"] = {x["name"]: x["exact"] for x in named}
        entry["per_program"] = {x["name"]: {"exact": x["exact"], **x.get("details", {})} for x in named}
    return entry

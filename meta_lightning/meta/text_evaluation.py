"""Per-dataset free-text evaluation: each answer scored against its reference, gathered across ranks, and
summarised with 95 % intervals: Wilson's, on the mean score with each score in [0, 1] counted as a fractional
success. That is exact for the 0/1 metrics and conservative for token F1 and ROUGE-L (a [0, 1] score's
variance is at most mean x (1 - mean)), and unlike a normal interval it does not shrink to a point when every
answer scores 1."""
from __future__ import annotations

from dataclasses import dataclass, field

from meta_lightning.data.questions import QuestionBatch
from meta_lightning.distributed import gather_objects
from meta_lightning.intervals import wilson_interval
from meta_lightning.meta.text_metrics import TEXT_METRICS, mentions, score

HEADLINE = "token_f1"


@dataclass
class TextRows:
    """One data set's free-text answers this epoch (this rank, until gathered)."""

    question: list[str] = field(default_factory=list)
    reference: list[str] = field(default_factory=list)
    prediction: list[str] = field(default_factory=list)
    label: list[str] = field(default_factory=list)

    def add(self, batch: QuestionBatch, texts: list[str]) -> None:
        self.question.extend(batch["question"])
        self.reference.extend(batch["answer"])
        self.label.extend(batch["label"])
        self.prediction.extend(texts)

    def extend(self, other: "TextRows") -> None:
        for key in ("question", "reference", "prediction", "label"):
            getattr(self, key).extend(getattr(other, key))

    def __len__(self) -> int:
        return len(self.prediction)

    def scores(self) -> dict[str, list[float]]:
        """Metric -> one score per answer."""
        each = [score(p, r) for p, r in zip(self.prediction, self.reference)]
        return {name: [s[name] for s in each] for name in TEXT_METRICS}

    def means(self) -> dict[str, float]:
        return {name: sum(v) / len(v) if v else float("nan") for name, v in self.scores().items()}

    def samples_markdown(self, limit: int) -> str:
        lines = ["| question | true class | reference | answer | token F1 |", "|---|---|---|---|---|"]
        for i in range(min(limit, len(self))):
            f1 = score(self.prediction[i], self.reference[i])["token_f1"]
            lines.append(f"| {self.question[i]} | {self.label[i]} | {self.reference[i]} | {self.prediction[i]} | {f1:.2f} |")
        return "\n".join(lines)


class TextMetrics:
    """Rows of each ``stage__dataset``, kept until taken at the epoch's end."""

    def __init__(self):
        self.rows: dict[str, TextRows] = {}

    def update(self, stage: str, name: str, batch: QuestionBatch, texts: list[str]) -> None:
        self.rows.setdefault(f"{stage}__{name}", TextRows()).add(batch, texts)

    def take(self, stage: str) -> dict[str, TextRows]:
        """This stage's rows of every rank (all ranks call this together under DDP), then forgotten."""
        mine = {k.split("__", 1)[1]: v for k, v in self.rows.items() if k.startswith(f"{stage}__")}
        self.rows = {k: v for k, v in self.rows.items() if not k.startswith(f"{stage}__")}
        out: dict[str, TextRows] = {}
        for part in gather_objects(mine):
            for name, r in part.items():
                out.setdefault(name, TextRows()).extend(r)
        return dict(sorted(out.items()))


def text_entry(rows: TextRows, held_out: bool, mention_words=None) -> dict:
    """One free-text data set's summary entry: every metric with its 95 % interval; with ``mention_words``, the
    share of answers that mention one of them, per conversation class."""
    scores, n = rows.scores(), len(rows)
    entry = {"metric": HEADLINE, "held_out": held_out, "questions": n}
    for name in TEXT_METRICS:
        values = scores[name]
        entry[name] = sum(values) / n if n else float("nan")
        entry[f"{name}_ci95"] = list(wilson_interval(sum(values), n))
    if mention_words:
        entry["mentions"] = {"words": sorted(mention_words)}
        for label in sorted(set(rows.label)):
            said = [mentions(p, mention_words) for p, lab in zip(rows.prediction, rows.label) if lab == label]
            entry["mentions"][label] = {"rate": sum(said) / len(said), "ci95": list(wilson_interval(sum(said), len(said))),
                                        "n": len(said)}
    return entry

"""Per-dataset Yes/No evaluation: accuracy and AUROC (torchmetrics), samples, lie confusion, summary with CI."""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn
from torchmetrics import MetricCollection
from torchmetrics.classification import BinaryAccuracy, BinaryAUROC

from meta_lightning.data.questions import QuestionBatch


def metric_collection() -> MetricCollection:
    return MetricCollection({"acc": BinaryAccuracy(), "auroc": BinaryAUROC()})


@dataclass
class Rows:
    """What one dataset's predictions looked like this epoch (this rank), for samples and the confusion figure."""

    question: list[str] = field(default_factory=list)
    answer: list[str] = field(default_factory=list)
    label: list[str] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)
    p_yes: list[float] = field(default_factory=list)
    class_name: list[str] = field(default_factory=list)
    named: list[str] = field(default_factory=list)
    """What the model wrote as the class name before its verdict (empty without naming)."""

    def add(self, batch: QuestionBatch, p_yes: torch.Tensor, names=None) -> None:
        for key in ("question", "answer", "label", "asked"):
            getattr(self, key).extend(batch[key])
        self.class_name.extend(batch.get("class_name", batch["label"]))
        self.named.extend(names or [])
        self.p_yes.extend(p_yes.float().cpu().tolist())

    def naming_accuracy(self) -> float | None:
        """Share of rows whose written class name is the true one (case-insensitive); None without naming."""
        if not self.named:
            return None
        return sum(n.lower() == c.lower() for n, c in zip(self.named, self.class_name)) / len(self.named)

    def __len__(self) -> int:
        return len(self.p_yes)

    def samples_markdown(self, limit: int) -> str:
        lines = ["| question | true class | named | truth | prediction | P(Yes) |", "|---|---|---|---|---|---|"]
        for i in range(min(limit, len(self))):
            pred = "Yes" if self.p_yes[i] >= 0.5 else "No"
            named = self.named[i] if i < len(self.named) else ""
            lines.append(f"| {self.question[i]} | {self.label[i]} | {named} | {self.answer[i]} | {pred} | {self.p_yes[i]:.3f} |")
        return "\n".join(lines)

    def confusion(self, classes: tuple[str, str]) -> torch.Tensor:
        """2x2 counts, rows = the conversation's class, columns = the class the answers imply."""
        matrix = torch.zeros(2, 2, dtype=torch.long)
        for label, asked, p in zip(self.label, self.asked, self.p_yes):
            other = classes[1] if asked == classes[0] else classes[0]
            predicted = asked if p >= 0.5 else other
            matrix[classes.index(label), classes.index(predicted)] += 1
        return matrix


class DatasetMetrics(nn.Module):
    """torchmetrics collections per (stage, dataset), created once the datasets are known."""

    def __init__(self):
        super().__init__()
        self.collections = nn.ModuleDict()
        self.rows: dict[str, Rows] = {}

    @staticmethod
    def key(stage: str, name: str) -> str:
        return f"{stage}__{name}"

    def update(self, stage: str, name: str, batch: QuestionBatch, p_yes: torch.Tensor, names=None) -> None:
        key = self.key(stage, name)
        if key not in self.collections:
            self.collections[key] = metric_collection().to(p_yes.device)
        self.collections[key].update(p_yes.float(), batch["yes"].long().to(p_yes.device))
        self.rows.setdefault(key, Rows()).add(batch, p_yes, names)

    def compute(self, stage: str) -> dict[str, dict[str, float]]:
        """Metrics of every dataset seen in ``stage`` this epoch, then reset."""
        out = {}
        for key, collection in self.collections.items():
            s, name = key.split("__", 1)
            if s != stage or key not in self.rows:
                continue
            values = collection.compute()
            out[name] = {k: float(v) for k, v in values.items()}
            naming = self.rows[key].naming_accuracy()
            if naming is not None:
                out[name]["name_acc"] = naming
            collection.reset()
        return out

    def take_rows(self, stage: str) -> dict[str, Rows]:
        taken = {k.split("__", 1)[1]: r for k, r in self.rows.items() if k.startswith(f"{stage}__")}
        for k in [k for k in self.rows if k.startswith(f"{stage}__")]:
            del self.rows[k]
        return taken

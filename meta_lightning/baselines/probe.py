"""Logistic-regression probes on the same cached vectors and splits the meta-model uses.

In distribution, a probe per training behaviour predicts the conversation's class from its vectors; a Yes/No
question is answered Yes when the probe's class is the one asked, and P(Yes) is the probe's probability of the
asked class. For a held-out behaviour (lies) no training label exists, so its probe is trained and scored on
the behaviour's own test set by cross-validation, grouped by source: an upper bound of what is linearly
readable, reported as such and never as transfer.

Transfer (``probe_transfer``): one probe trained on the two-class training behaviours' classes (sentiment,
multilingual: positive / negative), applied to each two-class held-out behaviour with the classes matched by
position (positive -> truthful, negative -> lying). The matching is fixed here, before any lie number was
seen, and its AUROC says how far the lie conversations fall along the training direction either way.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torchmetrics.functional.classification import binary_auroc

from meta_lightning.summary import scored


def whole_reading(datamodule) -> bool:
    """Whether every example gives the same positions (``last:K``, ``indices``, ``assistant``), so a probe can
    read them all; decided by the capture positions, not by the data, so every set of a run is read alike."""
    from meta_lightning.capture.positions import parse_positions

    return parse_positions(datamodule.positions(), "data.capture.positions").fixed_count is not None


def _features(activations: Sequence[torch.Tensor], whole: bool) -> torch.Tensor:
    """Every read vector of an example, concatenated (``whole``); otherwise (``tail:K``, ``all``, ``system+``:
    the number of positions varies) each layer's last position: the paper's reading, one width for all."""
    if not whole:
        activations = [a[:, -1] for a in activations]
    return torch.stack([a.float().flatten() for a in activations])


def fit_logistic(x: torch.Tensor, y: torch.Tensor, num_classes: int, l2: float = 1e-2, steps: int = 100):
    """Multinomial logistic regression on standardised features (L-BFGS); returns a predict_proba function."""
    mean, std = x.mean(0), x.std(0).clamp_min(1e-6)
    z = (x - mean) / std
    weight = torch.zeros(z.shape[1], num_classes, requires_grad=True)
    bias = torch.zeros(num_classes, requires_grad=True)
    opt = torch.optim.LBFGS([weight, bias], max_iter=steps, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(z @ weight + bias, y) + l2 * weight.pow(2).sum() / len(z)
        loss.backward()
        return loss

    opt.step(closure)
    weight, bias = weight.detach(), bias.detach()
    return lambda new: (((new - mean) / std) @ weight + bias).softmax(-1)


def score_p_yes(dataset, p_yes: torch.Tensor, held_out: bool) -> dict:
    """Accuracy (95 % interval) and AUROC of P(Yes) per question of ``dataset``, against its Yes/No answers."""
    truth = [q.answer == "Yes" for q in dataset.questions]
    correct = sum((float(p) >= 0.5) == t for p, t in zip(p_yes, truth))
    n = len(truth)
    auroc = binary_auroc(p_yes, torch.tensor(truth, dtype=torch.long)) if 0 < sum(truth) < n else None
    return scored("accuracy", correct, n, held_out, auroc=None if auroc is None else float(auroc), questions=n)


def yes_no_datasets(datamodule, split: str) -> list:
    """The split's Yes/No data sets (a Yes/No data set is named after its behaviour) that a class probe can read."""
    return [d for d in datamodule.datasets.get(split, [])
            if d.kind == "yes_no" and datamodule.behavior(d.behavior).probe_ready]


def _score_questions(dataset, proba: torch.Tensor, classes: Sequence[str], held_out: bool) -> dict:
    """Yes/No accuracy of a class probability table ``proba`` [conversations, classes] on ``dataset``'s questions."""
    return score_p_yes(dataset, torch.tensor([float(proba[q.conversation, classes.index(q.asked_label)])
                                              for q in dataset.questions]), held_out)


def probe_baseline(datamodule, folds: int = 5) -> dict[str, dict]:
    """Probe results per test dataset, keyed like the meta-model's: accuracy, AUROC, questions, 95 % interval."""
    out, whole = {}, whole_reading(datamodule)
    train = {d.name: d for d in yes_no_datasets(datamodule, "train")}
    for test in yes_no_datasets(datamodule, "test"):
        classes = list(datamodule.behavior(test.name).classes)
        x_test = _features(test.activations, whole)
        held_out = test.name in datamodule.eval_behaviors
        if test.name in train:
            source = train[test.name]
            y = torch.tensor([classes.index(c.label) for c in source.conversations])
            proba = fit_logistic(_features(source.activations, whole), y, len(classes))(x_test)
            out[test.name] = {**_score_questions(test, proba, classes, held_out), "probe": "trained on the train split"}
        else:
            y = torch.tensor([classes.index(c.label) for c in test.conversations])
            groups = [c.source_ids[0] for c in test.conversations]
            order = sorted(set(groups))
            fold = {g: i % folds for i, g in enumerate(order)}
            proba = torch.zeros(len(y), len(classes))
            for k in range(folds):
                held = torch.tensor([fold[g] == k for g in groups])
                if held.all() or not held.any() or len(set(y[~held].tolist())) < 2:
                    continue
                proba[held] = fit_logistic(x_test[~held], y[~held], len(classes))(x_test[held])
            out[test.name] = {**_score_questions(test, proba, classes, held_out),
                              "probe": f"{folds}-fold cross-validation on this set, grouped by source "
                                       "(upper bound, not transfer)"}
    return out


def transfer_probe_baseline(datamodule) -> dict[str, dict]:
    """The transfer probe's results per held-out two-class test dataset (empty without a two-class training
    behaviour)."""
    two_class = [d for d in yes_no_datasets(datamodule, "train") if len(datamodule.behavior(d.name).classes) == 2]
    if not two_class:
        return {}
    whole = whole_reading(datamodule)
    x = torch.cat([_features(d.activations, whole) for d in two_class])
    y = torch.tensor([list(datamodule.behavior(d.name).classes).index(c.label) for d in two_class for c in d.conversations])
    predict = fit_logistic(x, y, 2)
    source = "/".join(d.name for d in two_class)
    out = {}
    for test in yes_no_datasets(datamodule, "test"):
        classes = list(datamodule.behavior(test.name).classes)
        if test.name not in datamodule.eval_behaviors or len(classes) != 2:
            continue
        trained = datamodule.behavior(two_class[0].name).classes
        out[test.name] = {**_score_questions(test, predict(_features(test.activations, whole)), classes, True),
                          "probe": f"trained on {source} classes; {trained[0]} read as {classes[0]}, "
                                   f"{trained[1]} as {classes[1]} (fixed by position, before looking)"}
    return out


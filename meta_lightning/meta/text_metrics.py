"""Scores of a free-text answer against its reference: exact match, token F1, ROUGE-L and "contains".

Text is normalised as SQuAD's evaluation does (lower case, no punctuation, no articles a/an/the, single spaces),
so "The French." and "french" match. Every score lies in [0, 1].
"""
from __future__ import annotations

import re
import string
from collections import Counter

TEXT_METRICS = ("exact_match", "token_f1", "rouge_l", "contains")
"""The free-text metrics, in the order tables print them; ``token_f1`` is the headline."""

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans("", "", string.punctuation)


def normalize(text: str) -> str:
    text = _ARTICLES.sub(" ", text.lower().translate(_PUNCTUATION))
    return " ".join(text.split())


def tokens(text: str) -> list[str]:
    return normalize(text).split()


def exact_match(prediction: str, reference: str) -> float:
    return float(normalize(prediction) == normalize(reference))


def token_f1(prediction: str, reference: str) -> float:
    """Harmonic mean of token precision and recall, counting repeated tokens once per occurrence. Two empty
    texts agree (1); one empty text scores 0."""
    pred, ref = tokens(prediction), tokens(reference)
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def _lcs(a: list[str], b: list[str]) -> int:
    row = [0] * (len(b) + 1)
    for x in a:
        diagonal = 0
        for j, y in enumerate(b, 1):
            diagonal, row[j] = row[j], diagonal + 1 if x == y else max(row[j], row[j - 1])
    return row[-1]


def rouge_l(prediction: str, reference: str) -> float:
    """ROUGE-L F1: the longest common token subsequence over the prediction's and the reference's lengths."""
    pred, ref = tokens(prediction), tokens(reference)
    if not pred or not ref:
        return float(pred == ref)
    common = _lcs(pred, ref)
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def contains(prediction: str, reference: str) -> float:
    """1 when the normalised reference appears in the normalised prediction as whole words."""
    ref = normalize(reference)
    return float(bool(ref) and f" {ref} " in f" {normalize(prediction)} ")


SCORERS = {"exact_match": exact_match, "token_f1": token_f1, "rouge_l": rouge_l, "contains": contains}


def score(prediction: str, reference: str) -> dict[str, float]:
    """Every metric of one answer."""
    return {name: SCORERS[name](prediction, reference) for name in TEXT_METRICS}


def mentions(text: str, words) -> bool:
    """Whether ``text`` holds any of ``words`` as a word start (``lie`` finds "lies" and "lied")."""
    found = normalize(text).split()
    return any(token.startswith(w) for token in found for w in words)

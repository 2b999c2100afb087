"""Free text from vectors: a planted direction decides which of four words is the answer. The oracle's recipe
(norm-matched add after block 1, standardised vectors, free-text targets) must write the right word for fresh
vectors; with each example given its neighbour's vectors it cannot."""
from __future__ import annotations

import pytest
import torch

from meta_lightning.data.questions import replace_vectors
from meta_lightning.meta import MetaModel
from tests.helpers.folders import save_byte_model
from tests.helpers.sources import source
from tests.helpers.training import train_net

pytestmark = pytest.mark.slow  # 200 training steps a recipe, a few seconds each on 2 cores

WORDS = ("red", "blue", "gold", "pink")
D_IN, VECTORS = 24, 2


def planted(n: int, seed: int, signal: float = 3.0):
    """``n`` examples: noise plus ``signal`` along the direction of the answer's word (one of four)."""
    g = torch.Generator().manual_seed(seed)
    directions = torch.nn.functional.normalize(torch.randn(len(WORDS), D_IN, generator=torch.Generator().manual_seed(7)), dim=1)
    examples = []
    for i in range(n):
        k = i % len(WORDS)
        x = torch.randn(VECTORS, D_IN, generator=g) + 3.0 + signal * directions[k]
        examples.append({"activations": x, "question": "which word?", "answer": WORDS[k], "kind": "free_text"})
    return examples


def batch_of(items, vectors="real"):
    return {"activations": replace_vectors([e["activations"] for e in items], vectors),
            "question": [e["question"] for e in items], "answer": [e["answer"] for e in items],
            "kind": [e["kind"] for e in items]}


def exact_match_on_fresh_vectors(folder, vectors: str = "real", steps: int = 200) -> float:
    torch.manual_seed(0)
    net = MetaModel(meta_model={"name": str(folder)}, injection={"mode": "add", "layer": 1},
                    projector={"kind": "linear", "standardize": True}, finetune={"method": "full"},
                    optimizer={"lr": 3e-3}, prompt={"chat_template": False, "template": "{activations}\n{question}\n",
                                                    "max_answer_tokens": 6}).net
    net.build(source(D_IN, VECTORS), 0)
    train, test = planted(256, seed=1), planted(100, seed=2)
    x = torch.stack([e["activations"] for e in train])
    net.projector.set_statistics(x.mean(0), x.std(0))
    train_net(net, train, batch_of, steps, 3e-3, vectors)
    with torch.no_grad():
        texts = net.read(batch_of(test, vectors)).texts
    return sum(t == e["answer"] for t, e in zip(texts, test)) / len(test)


@pytest.fixture(scope="module")
def meta_folder(tmp_path_factory):
    return save_byte_model(tmp_path_factory.mktemp("free_text") / "meta", "llama", 1)


def test_the_oracle_recipe_writes_the_planted_word_for_fresh_vectors(meta_folder):
    assert exact_match_on_fresh_vectors(meta_folder) >= 0.9


def test_shuffled_vectors_cannot_give_the_word(meta_folder):
    assert exact_match_on_fresh_vectors(meta_folder, vectors="shuffled") < 0.5

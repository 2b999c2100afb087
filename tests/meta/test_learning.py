"""The meta-model must learn, not memorise: a planted direction in synthetic vectors decides the class, and the
answer is a known function of it. Train on one set of vectors, test on fresh ones.

This guards the default recipe (closed-form projector, name then answer, plain prompt) against silently
breaking again; the question-only and memorising recipes must fail the same test.
"""
from __future__ import annotations

import random

import pytest
import torch

from meta_lightning.data.questions import replace_vectors
from meta_lightning.meta import MetaModel
from tests.helpers.folders import save_byte_model
from tests.helpers.sources import source
from tests.helpers.training import train_net

pytestmark = pytest.mark.slow  # 150 training steps a recipe: 4 s each on 2 cores

CLASSES = {"a": "A", "b": "B"}  # label -> class name (one byte-level token each)
D_IN, VECTORS = 24, 2


def planted(n: int, seed: int, signal: float = 1.5):
    """``n`` examples of two vectors each: noise plus +-signal along one fixed direction (the class)."""
    g = torch.Generator().manual_seed(seed)
    direction = torch.nn.functional.normalize(torch.randn(D_IN, generator=torch.Generator().manual_seed(99)), dim=0)
    labels = ["a" if i % 2 == 0 else "b" for i in range(n)]
    sign = torch.tensor([1.0 if lab == "a" else -1.0 for lab in labels])
    x = torch.randn(n, VECTORS, D_IN, generator=g) + 3.0 + signal * sign[:, None, None] * direction
    rng = random.Random(seed)
    examples = []
    for i, lab in enumerate(labels):
        asked = rng.choice(list(CLASSES))
        examples.append({"activations": x[i], "question": f"is it {asked}?", "answer": "Yes" if asked == lab else "No",
                         "class_name": CLASSES[lab]})
    return examples


def batch_of(items, vectors="real"):
    return {"activations": replace_vectors([e["activations"] for e in items], vectors),
            "question": [e["question"] for e in items], "answer": [e["answer"] for e in items],
            "class_name": [e["class_name"] for e in items]}


def train_and_test(folder, steps: int = 150, train_size: int = 256, vectors: str = "real", **recipe) -> float:
    torch.manual_seed(0)
    options = dict(meta_model={"name": str(folder)}, finetune={"method": "full"}, optimizer={"lr": 3e-3},
                   prompt={"chat_template": False, "template": "{activations}\n{question}\n",
                           "answer_format": "name_then_answer"},
                   projector={"standardize": True, "init": "closed_form", "lr": 0.0})
    for key, value in recipe.items():  # a group's changes merge into it; a plain option replaces
        options[key] = {**options.get(key, {}), **value} if isinstance(value, dict) else value
    module = MetaModel(**options).net
    module.build(source(D_IN, VECTORS), 0)
    train, test = planted(train_size, seed=1), planted(200, seed=2)
    x = torch.stack([e["activations"] for e in train])
    if module.options.projector.standardize:
        module.projector.set_statistics(x.mean(0), x.std(0))
    if module.options.projector.init == "closed_form":
        module.align([e["activations"] for e in train], [e["class_name"] for e in train])
    train_net(module, train, batch_of, steps, module.options.optimizer.lr, vectors)
    readings = module.read(batch_of(test, vectors))
    truth = torch.tensor([e["answer"] == "Yes" for e in test])
    return float(((readings.p_named >= 0.5) == truth).float().mean())


@pytest.fixture(scope="module")
def meta_folder(tmp_path_factory):
    return save_byte_model(tmp_path_factory.mktemp("learning") / "meta", "llama", 1)


def test_default_recipe_generalises_to_fresh_vectors(meta_folder):
    assert train_and_test(meta_folder) >= 0.9


@pytest.mark.parametrize("recipe", [
    {"vectors": "shuffled"},  # question only: the answer cannot be read from the question
    {"prompt": {"answer_format": "yes_no"}, "projector": {"init": "random", "lr": None, "standardize": False}},  # old
], ids=["question_only", "yes_no_random_projector"])
def test_recipes_that_cannot_read_the_vectors_fail_the_same_test(meta_folder, recipe):
    assert train_and_test(meta_folder, **recipe) < 0.7

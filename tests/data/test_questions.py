import torch

from meta_lightning.data.questions import collate, replace_vectors


def _items(conversations, labels):
    """Conversation-major questions, as an evaluation loader serves them: two per conversation, classes in turn."""
    return [{"activations": torch.full((2, 4), float(c)), "question": f"q{c}.{j}", "answer": "Yes", "kind": "yes_no",
             "dataset": "sentiment", "behavior": "sentiment", "label": labels[c], "class_name": labels[c],
             "asked": labels[c], "conversation": c} for c in range(conversations) for j in range(2)]


def test_shuffled_vectors_never_come_from_the_questions_own_conversation():
    labels = ["positive", "negative"] * 16
    items = _items(32, labels)
    batch = collate(items, vectors="shuffled")
    partners = [int(a[0, 0]) for a in batch["activations"]]
    own = [item["conversation"] for item in items]
    assert all(p != c for p, c in zip(partners, own))
    # The partner is drawn, not the previous conversation: its class does not follow from the question's.
    same_class = sum(labels[p] == labels[c] for p, c in zip(partners, own)) / len(own)
    assert 0.3 < same_class < 0.7
    # Seeded by the batch: the same batch gets the same partners.
    assert [int(a[0, 0]) for a in collate(items, vectors="shuffled")["activations"]] == partners
    assert sorted(partners) != partners  # not left in order


def test_a_batch_of_one_conversation_gets_zeros_not_its_own_vectors():
    items = _items(1, ["positive"])
    batch = collate(items, vectors="shuffled")
    assert all(torch.equal(a, torch.zeros(2, 4)) for a in batch["activations"])
    assert replace_vectors([torch.ones(3)], "shuffled")[0].sum() == 0


def test_real_and_zero_vectors():
    acts = [torch.ones(2, 4), torch.full((3, 4), 2.0)]
    assert replace_vectors(acts, "real") is acts
    assert [a.shape for a in replace_vectors(acts, "zero")] == [(2, 4), (3, 4)]
    assert all(a.abs().sum() == 0 for a in replace_vectors(acts, "zero"))
    swapped = replace_vectors(acts, "shuffled")  # two conversations: each gets the other's
    assert torch.equal(swapped[0], acts[1]) and torch.equal(swapped[1], acts[0])

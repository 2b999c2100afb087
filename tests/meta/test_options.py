import pytest

from meta_lightning.errors import ConfigError
from meta_lightning.meta import MetaModel


@pytest.mark.parametrize("options, message", [
    ({"injection": "inject"}, "model.injection: unknown value 'inject'. Use one of: replace, add"),
    ({"vectors": "noise"}, "model.vectors: unknown value 'noise'. Use one of: real, shuffled, zero"),
    ({"lr": 0.0}, "model.lr: 0.0 is out of range. Use a positive learning rate"),
    ({"projector_lr": -0.1}, "model.projector_lr: -0.1 is out of range. Use 0 (frozen) or more"),
    ({"ridge": 0}, "model.ridge: 0 is out of range. Use a positive penalty, e.g. 0.01"),
    ({"lora_rank": 0}, "model.lora_rank: 0 is out of range. Use 1 or more"),
])
def test_options_out_of_their_choices_or_range_are_named_before_anything_loads(options, message):
    with pytest.raises(ConfigError) as e:
        MetaModel(**options)
    assert str(e.value) == message


def test_projector_lr_none_means_the_model_lr():
    assert MetaModel(projector_lr=None).hparams.projector_lr is None

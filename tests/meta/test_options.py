import pytest

from meta_lightning.errors import ConfigError
from meta_lightning.meta import MetaModel
from meta_lightning.meta.options import CHOICES, ProjectorOptions, as_group


@pytest.mark.parametrize("options, message", [
    ({"injection": {"mode": "inject"}}, "model.injection.mode: unknown value 'inject'. Use one of: replace, add"),
    ({"optimizer": {"lr": 0.0}}, "model.optimizer.lr: 0.0 is out of range. Use a positive learning rate"),
    ({"projector": {"lr": -0.1}}, "model.projector.lr: -0.1 is out of range. Use 0 (frozen) or more"),
    ({"projector": {"ridge": 0}}, "model.projector.ridge: 0 is out of range. Use a positive penalty, e.g. 0.01"),
    ({"finetune": {"lora_rank": 0}}, "model.finetune.lora_rank: 0 is out of range. Use 1 or more"),
    ({"finetune": {"lora_rnak": 4}}, "model.finetune.lora_rnak: unknown option. Use one of: method, lora_rank, "
                                     "lora_alpha, lora_dropout, lora_targets, gradient_checkpointing"),
    ({"prompt": "plain"}, "model.prompt: expected a mapping of options, got 'plain'. Give it as keys: template, "
                          "placeholder, system_prompt, chat_template, answer_format, separator, max_name_tokens, "
                          "max_answer_tokens"),
])
def test_options_out_of_their_choices_or_range_are_named_before_anything_loads(options, message):
    with pytest.raises(ConfigError) as e:
        MetaModel(**options)
    assert str(e.value) == message


def test_projector_lr_none_means_the_model_lr():
    module = MetaModel(projector={"lr": None})
    assert module.options.projector.lr is None and module.hparams.projector["lr"] is None


def test_every_literal_field_of_every_group_is_checked():
    assert CHOICES["finetune.method"] == ("lora", "attention", "full", "projector")
    assert CHOICES["prompt.answer_format"] == ("yes_no", "name_then_answer")
    assert set(CHOICES) == {"injection.mode", "projector.kind", "projector.init", "prompt.answer_format",
                            "finetune.method", "optimizer.schedule"}


def test_groups_are_stored_as_plain_data_and_rebuild_the_same_model_options():
    module = MetaModel(projector={"kind": "linear", "noise": 0.2}, finetune={"lora_targets": ("q_proj",)})
    assert module.hparams.projector == {**vars(ProjectorOptions()), "kind": "linear", "noise": 0.2}
    assert module.hparams.finetune["lora_targets"] == ["q_proj"]
    again = MetaModel(**{k: v for k, v in module.hparams.items()})
    assert again.options == module.options


def test_a_group_instance_is_copied_so_defaults_are_never_shared():
    given = ProjectorOptions(kind="mlp")
    copy = as_group("projector", given)
    assert copy == given and copy is not given

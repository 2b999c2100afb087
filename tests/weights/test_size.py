import random

import pytest

from meta_lightning.weights import tracr_available
from meta_lightning.weights.programs import HELD_OUT, Op, sample_program
from meta_lightning.weights.size import min_params, value_sets

needs_tracr = pytest.mark.skipif(not tracr_available(), reason='needs the weights extra: pip install -e ".[weights]"')

# Chained sequence maps: 25, 70, 577 and 6,500 values, one MLP unit per pair of inputs (40,390 for the fourth
# op), and 3.7 M pairs for the fifth.
HUGE = (Op("sequence_map", "tiebreak", ("tokens", "indices")),
        Op("sequence_map", "mul", (0, "tokens")),
        Op("sequence_map", "mul", (1, 0)),
        Op("sequence_map", "mul", (2, 1)),
        Op("sequence_map", "mul", (3, 2)))


def test_value_sets_follow_the_ops():
    program = (Op("map", "is_zero", ("tokens",), numerical=True),
               Op("aggregate", "LEQ", ("indices", "indices", 0), numerical=True),
               Op("selector_width", "EQ", ("tokens", "tokens")),
               Op("sequence_map", "sub", (2, "indices")))
    sets = value_sets(program)
    assert sets[0] == {0, 1} and sets[1] == {0, 1, 1 / 2, 1 / 3, 1 / 4, 1 / 5}
    assert sets[2] == set(range(6)) and sets[3] == set(range(-4, 6))


def test_a_program_too_large_is_bounded_without_enumerating_its_values():
    assert value_sets(HUGE, limit=73728) is None  # 3.7 M pairs are counted, not enumerated
    assert min_params(HUGE, limit=73728) == 73729
    assert [len(v) for v in value_sets(HUGE[:4])] == [25, 70, 577, 6500]
    assert min_params(HUGE[:4]) > 2 * 40390 * 7000  # 40,390 hidden units, read from and written to the residual


@needs_tracr
@pytest.mark.slow
def test_the_bound_and_the_value_sets_are_tracrs():
    from tracr.compiler import basis_inference, nodes, rasp_to_graph

    from meta_lightning.weights.compile import VOCAB, compile_program, flat_weights, to_rasp
    from meta_lightning.weights.programs import MAX_SEQ_LEN

    rng = random.Random(3)
    programs = list(HELD_OUT.values()) + [sample_program(rng, rng.randint(1, 5)) for _ in range(40)]
    compiled = 0
    for program in programs:
        labels = [f"op{i}" for i in range(len(program))]
        graph = rasp_to_graph.extract_rasp_graph(to_rasp(program, labels))
        try:
            basis_inference.infer_bases(graph.graph, graph.sink, set(VOCAB), MAX_SEQ_LEN)
        except NotImplementedError:  # a mean of values other than 0 and 1: Tracr refuses it
            continue
        inferred = {node.rsplit("_", 1)[0]: values[nodes.VALUE_SET] for node, values in graph.graph.nodes.items()
                    if nodes.VALUE_SET in values}  # Tracr appends an id to each name
        assert value_sets(program) == [inferred[label] for label in labels]
        try:
            model = compile_program(program, labels=labels)
        except Exception:  # noqa: BLE001 - Tracr refuses some programs; the bound is for those it compiles
            continue
        compiled += 1
        assert min_params(program) <= flat_weights(model).size, program
    assert compiled >= 20


@needs_tracr
def test_generation_skips_a_program_too_large_without_compiling_it(tmp_path, monkeypatch):
    import meta_lightning.weights.compile as compile_module
    import meta_lightning.weights.generation as generation

    small = HELD_OUT["histogram"][:1] + (Op("map", "inc", (0,)),)
    drawn = iter([HUGE, small])
    monkeypatch.setattr(generation, "sample_program", lambda rng, length: next(drawn))
    compiled, real = [], compile_module.compile_and_check
    monkeypatch.setattr(compile_module, "compile_and_check",
                        lambda program, **kw: compiled.append(program) or real(program, **kw))
    settings = generation.GenerationSettings(programs=1, shard_size=1, max_params=73728)
    out = generation.generate_shard(settings, 0, str(tmp_path))
    assert compiled == [small] and out["attempts"] == 2

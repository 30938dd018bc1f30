"""Real-world patterns (issue 10): every stand-in in ``realworld_models`` traces without error,
counts what PyTorch counts, shows every real output, and leaves the model exactly as it was,
also while another thread runs it."""

from __future__ import annotations

import copy
import threading
from typing import Any

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import vizcnn
from vizcnn.capture import tensors_in
from vizcnn.standin import map_tensors
from realworld_models import CASES

# FlopCounterMode does not count these (no aten formula); their own formulas are checked here.
NOT_IN_FLOP_COUNTER = {
    "functional": 2 * 5 * 8 * 6,   # nn.Bilinear(8, 6, 5) on 2 rows: out × in1 × in2
}


def flop_counter_macs(model: nn.Module, args: tuple, kwargs: dict) -> int:
    """PyTorch's own count (FLOPs / 2) on a copy, with grad enabled (under ``no_grad`` eval
    attention takes a fused path FlopCounterMode does not count); on meta where the model
    runs there, else on the CPU with the same input values."""
    for device in ("meta", "cpu"):
        twin = copy.deepcopy(model)
        if device == "meta":
            try:
                twin = twin.to("meta")
            except Exception:
                continue
        a, k = (map_tensors(v, lambda t: t.to(device)) for v in (args, kwargs))
        try:
            with FlopCounterMode(display=False) as counter:
                twin(*a, **k)
        except Exception:
            if device == "cpu":
                raise
            continue
        return counter.get_total_flops() // 2
    raise AssertionError("FlopCounterMode could not run the model")


def _plain_tensors(module: nn.Module) -> dict[str, Any]:
    """Tensors held in plain attributes (not parameters or buffers), also in lists/dicts."""
    found: dict[str, Any] = {}
    for path, m in module.named_modules():
        for key, value in vars(m).items():
            if key.startswith("_"):
                continue
            for i, t in enumerate(tensors_in(value)):
                found[f"{path}.{key}.{i}"] = (t.device.type, t.dtype, tuple(t.shape),
                                              t.clone() if not t.is_meta else None)
    return found


def snapshot(model: nn.Module) -> dict[str, Any]:
    """Everything a trace must leave as it was: state, flags, plain tensors, hooks, dicts."""
    hooks = {}
    for path, m in model.named_modules():
        hooks[path] = tuple(
            (name, tuple(getattr(m, name).items()))
            for name in ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks",
                         "_forward_hooks_with_kwargs", "_forward_pre_hooks_with_kwargs"))
    return {
        "state": {k: (v.device.type, v.dtype, v.clone()) for k, v in model.state_dict().items()},
        "params": [id(p) for p in model.parameters()],
        "training": {path: m.training for path, m in model.named_modules()},
        "plain": _plain_tensors(model),
        "hooks": hooks,
        "attrs": {path: sorted(vars(m)) for path, m in model.named_modules()},
        "requires_grad": [p.requires_grad for p in model.parameters()],
    }


def assert_same(before: dict[str, Any], after: dict[str, Any]) -> None:
    assert before["state"].keys() == after["state"].keys()
    for key, (device, dtype, value) in before["state"].items():
        d2, t2, v2 = after["state"][key]
        assert (device, dtype) == (d2, t2), key
        assert torch.equal(value, v2), key
    for key in ("params", "training", "hooks", "attrs", "requires_grad"):
        assert before[key] == after[key], key
    assert before["plain"].keys() == after["plain"].keys()
    for key, (device, dtype, shape, value) in before["plain"].items():
        d2, t2, s2, v2 = after["plain"][key]
        assert (device, dtype, shape) == (d2, t2, s2), key
        assert value is None or torch.equal(value, v2), key


def real_output_shapes(model: nn.Module, args: tuple, kwargs: dict) -> list[tuple[int, ...]]:
    twin = copy.deepcopy(model)
    with torch.no_grad():
        out = twin(*copy.deepcopy(args), **copy.deepcopy(kwargs))
    return [tuple(t.shape) for t in tensors_in(out)]


def _flat(value: Any) -> list[torch.Tensor]:
    return tensors_in(value)


@pytest.mark.parametrize("name", CASES)
def test_trace_counts_like_pytorch_and_leaves_the_model_alone(name: str) -> None:
    model, args, kwargs = CASES[name]()
    before = snapshot(model)
    t = vizcnn.trace(model, inputs=args, kwargs=kwargs)
    assert_same(before, snapshot(model))
    unique = {id(p): p.numel() for p in model.parameters()}
    assert t.params == sum(unique.values())
    expected = flop_counter_macs(model, args, kwargs) + NOT_IN_FLOP_COUNTER.get(name, 0)
    assert abs(t.macs - expected) <= 0.005 * expected, (t.macs, expected)
    assert t.macs > 0
    shown = t.node("output").input_shapes
    for shape in real_output_shapes(model, args, kwargs):
        assert shape in shown
    # the model still runs, exactly as it did before the trace
    assert_same(before, snapshot(model))


@pytest.mark.parametrize("name", CASES)
def test_forward_in_another_thread_during_traces_is_unaffected(name: str) -> None:
    model, args, kwargs = CASES[name]()
    with torch.no_grad():
        expected = _flat(model(*args, **kwargs))
    results: list[Any] = []
    stop = threading.Event()

    def forwards() -> None:
        while not stop.is_set() or not results:
            try:
                with torch.no_grad():
                    results.append(_flat(model(*args, **kwargs)))
            except Exception as error:  # reported below
                results.append(error)
                return

    worker = threading.Thread(target=forwards)
    worker.start()
    try:
        for _ in range(3):
            vizcnn.trace(model, inputs=args, kwargs=kwargs)
    finally:
        stop.set()
        worker.join()
    for got in results:
        assert not isinstance(got, Exception), got
        assert len(got) == len(expected)
        assert all(torch.equal(a, b) for a, b in zip(got, expected))


def test_anchor_cache_stays_on_the_cpu_and_the_model_keeps_working() -> None:
    model, args, _ = CASES["anchor_detector"]()
    anchors = [a.clone() for a in model.cell_anchors]
    t = vizcnn.trace(model, inputs=args)
    assert t.device == "cpu" and "nonzero" in t.uncounted
    assert all(a.device.type == "cpu" and torch.equal(a, b)
               for a, b in zip(model.cell_anchors, anchors))
    model(*args)   # the user's model still runs
    vizcnn.trace(model, (1, 3, 16, 16))  # and traces again


def test_frozen_batchnorm_keeps_its_flag_in_every_mode() -> None:
    model, args, _ = CASES["frozen_bn"]()
    for training in (None, True, False):
        t = vizcnn.trace(model, inputs=args, training=training)
        assert t.training == (training is not False)
        assert model.training and not model.bn.training and model.bn2.training


def test_cpu_fallback_uses_the_callers_input_values() -> None:
    model, args, _ = CASES["data_dependent_loop"]()
    t = vizcnn.trace(model, inputs=(args[0], torch.tensor(4)))
    assert t.device == "cpu" and t.macs == 4 * 2 * 8 * 8
    t = vizcnn.trace(model, inputs=(args[0], torch.tensor(2)))
    assert t.macs == 2 * 2 * 8 * 8


def test_tied_and_shared_parameters_are_counted_once() -> None:
    tied, args, _ = CASES["tied_embedding"]()
    t = vizcnn.trace(tied, inputs=args)
    assert t.params == 40 * 16 + 16 * 16 + 16
    assert t.node("head").shared_params and t.node("head").params == 0
    shared, args, _ = CASES["one_module_two_names"]()
    t = vizcnn.trace(shared, inputs=args)
    assert t.params == 3 * 3 * 9 + 3 + 3 * 2 + 2
    assert t.node("stem").params == 84 and t.node("stem#1").shared_params


def test_scripted_submodule_is_one_opaque_node_with_params_and_shapes() -> None:
    model, args, _ = CASES["scripted_submodule"]()
    t = vizcnn.trace(model, inputs=args)
    block = t.node("block")
    assert block.op == "torchscript" and block.uncounted == ("torchscript",)
    assert "TorchScript" in block.attrs["note"]
    assert block.params == 8 * 8 * 9 + 8
    assert block.input_shapes == block.output_shapes == ((1, 8, 8, 8),)
    assert t.uncounted == {"torchscript": 1}


def test_ops_on_tensors_made_inside_the_model_are_recorded() -> None:
    model, args, _ = CASES["coords_grid"]()
    t = vizcnn.trace(model, inputs=args)
    ops = [n.op for n in t.nodes]
    assert "create" in ops and "stack" in ops and "expand" in ops
    coords = t.node("coords")
    assert coords.macs == 4 * 2 * 6 * 5 and coords.input_shapes == ((1, 2, 6, 5),)
    assert any(e.dst == "coords" for e in t.edges)


def test_attention_is_seen_through_to_projections_and_matmuls() -> None:
    model, args, _ = CASES["tiny_vit"]()
    t = vizcnn.trace(model, inputs=args)
    base = "layers.0.self_attention/multi_head_attention"
    in_proj, attention, out_proj = (t.node(f"{base}.{part}")
                                    for part in ("in_proj", "attention", "out_proj"))
    tokens, dim = 2 * 17, 32
    assert in_proj.macs == 3 * tokens * dim * dim and in_proj.kind == "linear"
    assert attention.macs == 2 * (2 * 4 * 17 * 17) * (dim // 4)  # Q·Kᵀ and weights·V per head
    assert attention.kind == "matmul" and attention.params == 0
    assert out_proj.macs == tokens * dim * dim and out_proj.kind == "linear"
    assert in_proj.params == 3 * dim * dim + 3 * dim and out_proj.params == dim * dim + dim
    assert in_proj.attrs == {"num_heads": 4, "embed_dim": dim}
    assert out_proj.output_shapes == ((17, 2, dim),)   # need_weights=False: no weights output
    edges = {(e.src, e.dst) for e in t.edges}
    assert {(in_proj.id, attention.id), (attention.id, out_proj.id)} <= edges
    assert t.params == sum(p.numel() for p in model.parameters())


def test_embedding_is_a_lookup_with_zero_macs() -> None:
    model, args, _ = CASES["tied_embedding"]()
    t = vizcnn.trace(model, inputs=args)
    embed = t.node("embed")
    assert embed.op == "embedding" and embed.macs == embed.flops == 0
    assert embed.uncounted == () and embed.output_shapes == ((2, 6, 16),)


def test_non_tensor_arguments_and_outputs_pass_through() -> None:
    model, args, kwargs = CASES["odd_outputs"]()
    t = vizcnn.trace(model, inputs=args, kwargs=kwargs)
    assert t.node("output").input_shapes == ((2, 6, 12, 12), (2, 3), (2, 3))
    assert t.node("count").output_shapes == ()
    assert t.modules["nothing"].output_shapes == ()
    t = vizcnn.trace(model, (2, 3, 6, 6), kwargs={"scale": 1.5, "flag": False})
    assert t.node("output").input_shapes == ((2, 6, 9, 9), (2, 3))


@pytest.mark.parametrize("size", [
    (1, 3, 2 ** 31, 2 ** 31), (2 ** 62, 3), (1, 3, 2 ** 40, 2 ** 40)])
def test_overflowing_sizes_raise_a_clear_error(size) -> None:
    with pytest.raises(vizcnn.VizcnnError, match="too large"):
        vizcnn.trace(nn.Conv2d(3, 4, 3) if len(size) == 4 else nn.Linear(3, 2), size)


def test_any_integer_type_is_a_size() -> None:
    np = pytest.importorskip("numpy")
    for side in (np.int64(32), np.int32(32), torch.tensor(32)):
        t = vizcnn.trace("resnet18", (1, 3, side, side))
        assert t.input_shapes == ((1, 3, 32, 32),)
    for bad in (torch.tensor(3.0), 32.0, True):
        with pytest.raises(vizcnn.ShapeError, match="positive integer"):
            vizcnn.trace("resnet18", (1, 3, bad, 32))


@pytest.mark.parametrize("dtype", [torch.int64, torch.float16, torch.bfloat16, torch.float64])
def test_input_dtypes_are_checked_like_pytorch(dtype) -> None:
    conv = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
    with pytest.raises(vizcnn.ShapeError, match="same type") as info:
        vizcnn.trace(conv, (1, 3, 8, 8), dtype=dtype)
    assert info.value.path == "0"
    x = torch.zeros(1, 3, 8, 8, dtype=dtype)
    with pytest.raises((RuntimeError, TypeError)):
        conv(x)    # PyTorch agrees


def test_low_precision_input_to_a_norm_layer_is_accepted_like_pytorch() -> None:
    model = nn.Sequential(nn.BatchNorm2d(3), nn.ReLU()).eval()
    t = vizcnn.trace(model, (1, 3, 4, 4), dtype=torch.bfloat16)
    assert model(torch.zeros(1, 3, 4, 4, dtype=torch.bfloat16)).dtype == torch.bfloat16
    assert {e.dtype for e in t.edges} == {"bfloat16"}
    with pytest.raises(vizcnn.ShapeError, match="floating-point"):
        vizcnn.trace(model, (1, 3, 4, 4), dtype=torch.int64)


def test_output_dtypes_follow_type_promotion() -> None:
    class Mix(nn.Module):
        def forward(self, x, n):
            return (n + 1) / 2, n * 2, torch.sigmoid(n), x.half() + 1

    t = vizcnn.trace(Mix(), inputs=(torch.zeros(2, 2), torch.zeros(2, 2, dtype=torch.int64)))
    dtypes = [e.dtype for e in t.edges if e.dst == "output"]
    assert dtypes == ["float32", "int64", "float32", "float16"]


def test_batchnorm_in_training_rejects_one_value_per_channel() -> None:
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
    with pytest.raises(vizcnn.ShapeError, match="more than 1 value per channel") as info:
        vizcnn.trace(model, (1, 3, 3, 3), training=True)
    assert info.value.path == "1"
    vizcnn.trace(model, (1, 3, 3, 3), training=False)
    vizcnn.trace(model, (2, 3, 3, 3), training=True)


def test_user_hooks_stay_and_do_not_run_during_a_trace() -> None:
    model, args, _ = CASES["hooked"]()
    vizcnn.trace(model, inputs=args)
    vizcnn.trace(model, (2, 3, 9, 9))
    assert model.seen == [] and len(model.conv._forward_hooks) == 1
    model(*args)
    assert model.seen == [(1, 4, 4, 4)]


def test_a_scripted_model_is_one_node() -> None:
    model = torch.jit.script(nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU()))
    t = vizcnn.trace(model, (1, 3, 8, 8))
    assert [n.op for n in t.nodes] == ["input", "torchscript", "output"]
    assert t.params == 112 and t.macs == 4 * 6 * 6 * 27
    assert t.node("output").input_shapes == ((1, 4, 6, 6),)


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_module_is_named_modules_without_removing_duplicates(case: str) -> None:
    from vizcnn.capture import every_module

    model = CASES[case]()[0]
    expected = list(model.named_modules(remove_duplicate=False))
    assert [(p, id(m)) for p, m in every_module(model)] == [(p, id(m)) for p, m in expected]

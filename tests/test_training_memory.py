"""Training memory (vizcnn.experiments.training_memory): the activations autograd saves,
measured on meta, against a real CPU forward/backward; params, gradients, optimizer state."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from torch import nn

import vizcnn
from vizcnn.errors import VizcnnError
from vizcnn.experiments.training_memory import (Optimizer, Precision, max_batch, memory_rows,
                                                summary_rows, training_memory)
from vizcnn.spec import ModelSource, ModelSpec

HERE = Path(__file__).resolve()


# --- small models, built by factory so the meta stand-in can be rebuilt from the spec --------
def plain_cnn() -> nn.Module:
    """conv → BN → ReLU (in place) twice, a max-pool, a linear head."""
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(inplace=True),
        nn.Conv2d(32, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(inplace=True),
        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 32 * 32, 10))


class Residual(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU()

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(y)) + x)


def residual_cnn() -> nn.Module:
    """A stem and two residual blocks, SE-like channel scaling, global pooling."""
    return nn.Sequential(nn.Conv2d(3, 24, 3, padding=1), nn.ReLU(), Residual(24), Residual(24),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(24, 10))


def _trace(factory: str, batch: int = 1, side: int = 64):
    spec = ModelSpec(ModelSource.FACTORY, f"{HERE}:{factory}")
    return vizcnn.trace(spec, (batch, 3, side, side))


def _saved_by_hand_plain(batch: int) -> int:
    """What autograd saves for plain_cnn at 64×64, tensor by tensor (fp32)."""
    x = batch * 3 * 64 * 64
    act = batch * 32 * 64 * 64
    bn_stats = 2 * 32 * 2            # save_mean, save_invstd of each BN
    pooled = batch * 32 * 32 * 32
    return 4 * (x                     # conv1 saves its input
                + act                 # bn1 saves its input (conv1's output)
                + act                 # relu1, in place on bn1's output, saves it; conv2 saves
                                      # the same tensor as its input: counted once
                + act                 # bn2 saves conv2's output
                + act                 # relu2 (in place) output = max-pool's input
                + pooled              # the linear's input (a view of the pooled output)
                + bn_stats) + 8 * pooled   # max-pool indices are int64


def test_saved_activations_are_counted_once_per_tensor():
    memory = training_memory(_trace("plain_cnn"), batch=4)
    assert memory.activation_bytes == _saved_by_hand_plain(4)
    by_type = {(r["layer"], r["type"]) for r in memory_rows(memory)}
    assert ("0", "Conv2d") in by_type and ("6", "MaxPool2d") in by_type


def test_parts_params_gradients_optimizer():
    t = vizcnn.trace("resnet18", (1, 3, 224, 224))
    n = t.params
    sgd = training_memory(t, 8, optimizer=Optimizer.SGD)
    momentum = training_memory(t, 8, optimizer="sgd_momentum")
    adam = training_memory(t, 8, optimizer="adam")
    assert sgd.param_bytes == sgd.grad_bytes == 4 * n and sgd.optimizer_bytes == 0
    assert momentum.optimizer_bytes == 4 * n
    assert adam.optimizer_bytes == 8 * n + 4 * len(list(vizcnn.build("resnet18").parameters()))
    assert adam.activation_bytes == sgd.activation_bytes
    assert adam.total_bytes == sum(adam.parts().values())
    assert summary_rows(adam)[-1] == {"part": "total", "bytes": adam.total_bytes}


def test_activations_grow_linearly_and_mixed_precision_halves_them():
    t = vizcnn.trace("mobilenet_v2", (1, 3, 224, 224))
    one, two, four = (training_memory(t, b, optimizer="sgd").activation_bytes for b in (1, 2, 4))
    assert four - two == 2 * (two - one)
    fp32 = training_memory(t, 4)
    for precision in (Precision.FP16_MIXED, Precision.BF16_MIXED):
        mixed = training_memory(t, 4, precision)
        # half the bytes, but BN keeps its saved mean and 1/std in float32
        assert abs(mixed.activation_bytes * 2 - fp32.activation_bytes) <= (
            0.001 * fp32.activation_bytes)
        assert mixed.param_bytes == fp32.param_bytes              # fp32 master weights
        assert 0 < mixed.weight_copy_bytes <= 2 * t.params
        assert fp32.weight_copy_bytes == 0


def test_largest_batch_that_fits():
    t = vizcnn.trace("resnet18", (1, 3, 224, 224))
    budget = 4 * 2 ** 30
    best = max_batch(t, budget, optimizer="adam")
    assert best > 1
    assert training_memory(t, best, optimizer="adam").total_bytes <= budget
    assert training_memory(t, best + 1, optimizer="adam").total_bytes > budget
    assert max_batch(t, 1000) == 0
    with pytest.raises(VizcnnError, match="positive"):
        max_batch(t, 0)


def test_a_live_module_is_never_run():
    model = plain_cnn()
    t = vizcnn.trace(model, (1, 3, 64, 64))
    with pytest.raises(VizcnnError, match="live module"):
        training_memory(t)
    with pytest.raises(VizcnnError, match="batch"):
        training_memory(_trace("plain_cnn"), batch=0)


def test_the_stand_in_leaves_zoo_traces_alone():
    t = vizcnn.trace("googlenet", (1, 3, 224, 224))
    before = t.to_json()
    memory = training_memory(t, 2)
    assert t.to_json() == before
    assert any(layer.path.startswith("aux1") for layer in memory.layers)  # train mode


# --- against a real CPU forward and backward --------------------------------------------------
_CHILD = r"""
import json, os, sys, threading, time
import torch
sys.path.insert(0, os.path.dirname(sys.argv[1]))
import importlib.util
spec = importlib.util.spec_from_file_location("m", sys.argv[1]); m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
torch.manual_seed(0)
model = getattr(m, sys.argv[2])().train()
x = torch.randn(int(sys.argv[3]), 3, int(sys.argv[4]), int(sys.argv[4]))
page = os.sysconf("SC_PAGE_SIZE")
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * page
peak = [0]; stop = [False]
def sample():
    while not stop[0]:
        peak[0] = max(peak[0], rss()); time.sleep(0.0005)
model(x).sum().backward()           # warm up: allocator, kernels, grads allocated
for p in model.parameters():
    p.grad = None
import gc; gc.collect()
base = rss()
thread = threading.Thread(target=sample); thread.start()
y = model(x)
after_forward = rss()
y.sum().backward()
stop[0] = True; thread.join()
print(json.dumps({"base": base, "after_forward": after_forward, "peak": peak[0],
                  "output": y.numel() * y.element_size()}))
"""


@pytest.mark.parametrize("factory, batch", [("plain_cnn", 32), ("residual_cnn", 24)])
def test_saved_activations_match_a_real_cpu_backward(factory, batch):
    """Run the model for real on the CPU (in a child process with a fixed mmap threshold, so
    freed tensors go back to the OS) and compare the memory a forward pass leaves held —
    what autograd saved, plus the output — with the meta measurement."""
    side = 64
    predicted = training_memory(_trace(factory), batch, optimizer="sgd")
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "65536", "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", _CHILD, str(HERE), factory, str(batch),
                          str(side)], capture_output=True, text=True, env=env, timeout=300,
                         check=True)
    real = json.loads(out.stdout.strip().splitlines()[-1])
    held = real["after_forward"] - real["base"] - real["output"]
    saved = predicted.activation_bytes
    assert saved > 50 * 2 ** 20                  # large enough to stand out of the noise
    assert abs(held - saved) <= 0.05 * saved, (held, saved)
    print(f"{factory} batch {batch}: held {held:,} B, meta saved {saved:,} B")
    # the backward's peak holds the saved tensors plus the gradients it builds
    assert real["peak"] - real["base"] >= 0.95 * saved


def test_cli_training_memory(capsys):
    from vizcnn.cli import main

    assert main(["training-memory", "resnet18", "--batch", "4", "--budget", "2"]) == 0
    out = capsys.readouterr().out
    assert "saved activations" in out and "largest batch within 2 GiB" in out
    assert main(["training-memory", "mobilenet_v2", "--layers", "--format", "json",
                 "--precision", "bf16_mixed"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["meta"]["precision"] == "bf16_mixed" and data["rows"][0]["saved_bytes"] > 0
    assert main(["training-memory", "resnet18", "--batch", "-1"]) == 2


def test_training_memory_chart_in_both_languages():
    from vizcnn.render.cost_charts import training_memory_figure

    memory = training_memory(vizcnn.trace("resnet18", (1, 3, 224, 224)), 2)
    en, zh = training_memory_figure(memory), training_memory_figure(memory, lang="zh")
    assert "GiB" in en.layout.title.text and "saved-tensor hooks" in en.layout.title.text
    assert "保存的激活" in {d.name for d in zh.data}


def test_compute_tab_measures_training_memory_on_request():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(HERE.parent.parent / "app.py"), default_timeout=120).run()
    at.session_state["tab"] = "Compute"
    at.run()
    at.toggle(key="cost_show").set_value(True).run()
    assert "Training step" not in {m.label for m in at.metric}      # nothing runs unasked
    at.number_input(key="cost_batch").set_value(8).run()
    at.button(key="cost_train_run").click().run()
    assert not at.exception
    memory = training_memory(vizcnn.trace("resnet18", (1, 3, 224, 224)), 8)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Training step"] == f"{memory.total_bytes / 2 ** 30:.3g} GiB"
    assert metrics["Saved activations"] == f"{memory.activation_bytes / 2 ** 30:.3g} GiB"

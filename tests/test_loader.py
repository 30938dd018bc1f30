"""``load_factory``: a person's own model from ``file.py:factory`` or ``package.module:factory``,
and a clear VizcnnError for each way a spec can be wrong."""

from __future__ import annotations

import sys

import pytest
from torch import nn

import vizcnn
from vizcnn.loader import load_factory, parse_spec

MODELS = '''
from torch import nn

def build(width=8):
    return nn.Sequential(nn.Conv2d(3, width, 3), nn.ReLU())

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)

    def forward(self, x):
        return self.conv(x)

    @classmethod
    def small(cls):
        return cls()

INSTANCE = nn.Linear(2, 2)
NUMBER = 3

def not_a_module():
    return [1, 2]

def raises():
    raise ValueError("bad config")
'''


@pytest.fixture
def models_file(tmp_path):
    path = tmp_path / "my_models.py"
    path.write_text(MODELS)
    return path


def test_file_spec_calls_the_factory(models_file) -> None:
    model = load_factory(f"{models_file}:build")
    assert isinstance(model, nn.Sequential) and model[0].out_channels == 8
    assert load_factory(f"{models_file}:build", width=4)[0].out_channels == 4
    t = vizcnn.trace(model, (1, 3, 8, 8))
    assert t.params == sum(p.numel() for p in model.parameters())


def test_classes_dotted_factories_and_instances(models_file) -> None:
    assert type(load_factory(f"{models_file}:Net")).__name__ == "Net"
    assert type(load_factory(f"{models_file}:Net.small")).__name__ == "Net"
    assert isinstance(load_factory(f"{models_file}:INSTANCE"), nn.Linear)


def test_module_spec(models_file, monkeypatch) -> None:
    monkeypatch.syspath_prepend(str(models_file.parent))
    sys.modules.pop("my_models", None)
    try:
        assert isinstance(load_factory("my_models:build"), nn.Sequential)
    finally:
        sys.modules.pop("my_models", None)
    assert isinstance(load_factory("torch.nn:Identity"), nn.Identity)


@pytest.mark.parametrize("spec", ["", "no_colon", ":build", "file.py:", "a.py:1abc",
                                  "a-b:build"])
def test_malformed_specs(spec: str) -> None:
    with pytest.raises(vizcnn.VizcnnError, match="malformed|not a Python name"):
        load_factory(spec)


def test_missing_file_module_and_attribute(models_file) -> None:
    with pytest.raises(vizcnn.VizcnnError, match="does not exist"):
        load_factory(f"{models_file.parent / 'nope.py'}:build")
    with pytest.raises(vizcnn.VizcnnError, match="module 'no_such_pkg_xyz.models' not found"):
        load_factory("no_such_pkg_xyz.models:build")
    with pytest.raises(vizcnn.VizcnnError, match="has no attribute 'missing'"):
        load_factory(f"{models_file}:missing")


def test_factories_that_do_not_give_a_module(models_file) -> None:
    with pytest.raises(vizcnn.VizcnnError, match="returned a value of type list, not an nn.Module"):
        load_factory(f"{models_file}:not_a_module")
    with pytest.raises(vizcnn.VizcnnError, match="value of type int, not a factory"):
        load_factory(f"{models_file}:NUMBER")
    with pytest.raises(vizcnn.VizcnnError, match="raised ValueError: bad config"):
        load_factory(f"{models_file}:raises")


def test_a_file_that_fails_to_import(tmp_path) -> None:
    path = tmp_path / "broken.py"
    path.write_text("import no_such_dependency_xyz\n")
    with pytest.raises(vizcnn.VizcnnError, match="importing .* failed: ModuleNotFoundError"):
        load_factory(f"{path}:build")


def test_parse_spec_splits_on_the_last_colon() -> None:
    assert parse_spec(r"C:\models\net.py:build") == (r"C:\models\net.py", "build")
    assert parse_spec(" pkg.mod : Net.small ") == ("pkg.mod", "Net.small")

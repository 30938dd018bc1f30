"""Shared test helpers, and how the suite is spread over cores (pytest-xdist, `make test`)."""

from __future__ import annotations

import copy
import csv
import os
import sys
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

DATA = Path(__file__).parent / "data"

# The browser files (tests/test_browser*.py) each start one Streamlit server and one Chromium
# for the whole file and write their speed figures (test-output/*.json) when the file ends.
# `make test` runs them in a pass of their own after the rest (waits that Chromium and the
# server share with nothing else); anyone running the whole suite under `pytest -n` gets them
# together in one worker, never split.
BROWSER_FILES = "test_browser"


def pytest_configure(config: pytest.Config) -> None:
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1:  # n workers share the cores: one torch thread pool each, not n × cores
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // workers))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """Under ``-n`` (``--dist load``): each test goes to the next free worker, except the
    browser files, which go together to one. (xdist's ``--dist loadgroup`` marks tests by
    renaming their node ids, which pytest 9 no longer lets it do: its groups split.)"""
    if config.getvalue("dist") != "load":
        return None  # another --dist asked for: xdist's own
    from xdist.scheduler import LoadScopeScheduling

    class BrowserFilesTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            name = Path(nodeid.split("::", 1)[0]).name
            return BROWSER_FILES if name.startswith(BROWSER_FILES) else nodeid

    return BrowserFilesTogether(config, log)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """In CI (CI=true) a skipped test fails: the browser tests, the real FLOP counters and
    everything else must have run there, not quietly stepped aside."""
    report = yield
    if report.skipped and os.environ.get("CI") == "true" and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI: {report.longrepr}"
    return report


def _scan_components_once() -> None:
    """Each new AppTest scans every installed package for Streamlit component manifests
    (0.1-0.2 s; ~250 apps a run); the packages do not change during a run, so the first
    scan's answer is given to the later apps. The real server (tests/test_browser.py) still
    scans on its own."""
    from streamlit.components.v2 import manifest_scanner

    scan = getattr(manifest_scanner, "scan_component_manifests", None)
    if scan is None or getattr(scan, "reused", False):
        return  # another Streamlit: it keeps its own scan
    found = scan()

    def reused(max_workers: int | None = None) -> list:
        return list(found)

    reused.reused = True
    manifest_scanner.scan_component_manifests = reused


@pytest.fixture(autouse=True)
def _streamlit_scans_components_once() -> None:
    if "streamlit.testing.v1" in sys.modules:  # only where a test file drives the app
        _scan_components_once()


def reference_rows() -> list[dict[str, str]]:
    """Rows of the published-costs reference (a copy of shared/reference/published_costs.csv)."""
    with open(DATA / "published_costs.csv", newline="") as f:
        return list(csv.DictReader(f))


def torch_conv_linear_macs(model: nn.Module, input_size: tuple[int, ...]) -> int:
    """Conv + linear + matmul MACs by torch's own FlopCounterMode (it counts 2 per MAC).

    An oracle independent of vizcnn's engine: runs the model on the meta device.
    """
    if next(model.parameters()).device.type != "meta":
        model = copy.deepcopy(model).to("meta")  # never change the caller's model
    x = torch.empty(input_size, device="meta")
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(x)
    return counter.get_total_flops() // 2


def param_count(model: nn.Module) -> int:
    return sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())


@pytest.fixture
def meta_device():
    with torch.device("meta"):
        yield

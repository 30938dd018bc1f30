# Quick start:  make run   (the app)    make test   (the whole test suite)
# Both set up what they need: a virtualenv with the Python packages, and Debian's graphviz
# (and chromium for the browser tests) through apt-get when they are missing.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
APT := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get

# The suite runs in one pytest-xdist worker per core (at most 4: each holds torch, ~2 GB),
# each test to the next free worker; then the browser tests, in one process of their own, so
# their server and Chromium share the cores with nothing else (tests/conftest.py says more).
# `make test TEST_WORKERS=0` runs the first pass in one process too.
TEST_WORKERS ?= auto
BROWSER_TESTS := $(wildcard tests/test_browser*.py)

.PHONY: run test bench setup graphviz browser

run: setup
	$(BIN)/streamlit run app.py

test: setup browser
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --maxprocesses 4 --durations 15 \
		$(addprefix --ignore=,$(BROWSER_TESTS)); rest=$$?; \
	$(BIN)/python -m pytest -q --durations 5 $(BROWSER_TESTS) && exit $$rest

bench: setup
	$(BIN)/python bench/bench_trace.py
	$(BIN)/python bench/bench_capture.py
	$(BIN)/python bench/bench_render.py
	$(BIN)/python bench/bench_costs.py

setup: $(STAMP) graphviz

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $(STAMP)

# fonts-noto-cjk: Chinese labels in PNG/PDF diagrams need a CJK font on the machine.
graphviz:
	@command -v dot >/dev/null && fc-list :lang=zh | grep -q . || \
		($(APT) update && $(APT) install -y graphviz fonts-noto-cjk)

# nodejs: tests/test_viewer_emit.py runs the viewer's JavaScript DOT emitter under node.
browser:
	@command -v chromium >/dev/null || ($(APT) update && $(APT) install -y chromium)
	@command -v node >/dev/null || ($(APT) update && $(APT) install -y nodejs)

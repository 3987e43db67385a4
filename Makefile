# The two commands: `make run` (the local service) and `make test` (checks + tests).
# Both bootstrap .venv from the package registries on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.run-stamp
TEST_STAMP := $(VENV)/.test-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?=

.PHONY: run test lint typecheck pytest tools bench samples docs screenshots clean

SAMPLES := var/samples/video1.mp4 var/samples/video2.mp4

# The service on HOST:PORT (make run PORT=8080 HOST=0.0.0.0), its console, and the sample
# media served at /samples/ so the printed curl command works from the first minute.
run: $(RUN_STAMP) $(SAMPLES)
	@mkdir -p var
	$(BIN)/mp4-analyser serve --host $(HOST) --port $(PORT) --db var/mp4-analyser.db \
		--allow-private-urls --enable-test-endpoints --samples var/samples \
		$(if $(WORKERS),--workers $(WORKERS))

test: $(TEST_STAMP) tools lint typecheck pytest

lint: $(TEST_STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports

typecheck: $(TEST_STAMP)
	$(BIN)/mypy mp4_small_analyser

pytest: $(TEST_STAMP) tools
	$(BIN)/pytest -q

# ffmpeg/ffprobe are the reference tools the tests and benchmarks compare against;
# the product itself never runs them. Chromium (Debian's) is the browser the console's
# tests drive through Playwright; no browser is ever downloaded.
tools:
	@command -v ffprobe >/dev/null 2>&1 || { \
		echo "Installing ffmpeg (reference tool for tests)"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends ffmpeg >/dev/null; }
	@test -x /usr/bin/chromium || { \
		echo "Installing chromium (the browser of the console's tests)"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null; }
	@command -v curl >/dev/null 2>&1 || { \
		echo "Installing curl (the README's commands are run as written by the tests)"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends curl >/dev/null; }

# Two small videos for the README walk-through, in var/samples/.
samples: $(SAMPLES)

$(SAMPLES) &: examples/make_sample_media.py | $(RUN_STAMP)
	$(BIN)/python examples/make_sample_media.py var/samples

# The QC profile schema and the list of rule-able fields, generated from the models.
docs: $(RUN_STAMP)
	$(BIN)/python scripts/gen_profile_docs.py

# Screenshots of every console page and the page weights, in docs/console/ (docs/console.md).
screenshots: $(TEST_STAMP) tools
	$(BIN)/python -m tests.screenshots docs/console

bench: $(TEST_STAMP) tools
	$(BIN)/python benchmarks/probe.py
	$(BIN)/python benchmarks/full.py
	$(BIN)/python benchmarks/picture.py
	$(BIN)/python benchmarks/service.py
	$(BIN)/python benchmarks/accuracy.py

# `make run` installs the service alone (PyAV, numpy, FastAPI, ...); `make test` adds what
# the tests need (the AWS and CDK extras, linters, moto): requirements-dev.txt.
$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(RUN_STAMP): pyproject.toml | $(VENV)/bin/python
	PYTHONWARNINGS=ignore $(BIN)/python -m pip install -q -e .
	touch $@

$(TEST_STAMP): pyproject.toml requirements.txt requirements-dev.txt | $(VENV)/bin/python
	PYTHONWARNINGS=ignore $(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@ $(RUN_STAMP)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache cdk.out

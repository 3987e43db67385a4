# The two commands: `make run` (the local service) and `make test` (checks + tests).
# Both bootstrap .venv from the package registries on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?=

.PHONY: run test lint typecheck pytest tools bench samples clean

run: $(STAMP)
	@mkdir -p var
	$(BIN)/mp4-analyser serve --host $(HOST) --port $(PORT) --db var/mp4-analyser.db \
		--allow-private-urls $(if $(WORKERS),--workers $(WORKERS))

test: $(STAMP) tools lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy mp4_small_analyser

pytest: $(STAMP) tools
	$(BIN)/pytest -q

# ffmpeg/ffprobe are the reference tools the tests and benchmarks compare against;
# the product itself never runs them.
tools:
	@command -v ffprobe >/dev/null 2>&1 || { \
		echo "Installing ffmpeg (reference tool for tests)"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends ffmpeg >/dev/null; }

# Two small videos for the README walk-through, in var/samples/.
samples: $(STAMP)
	$(BIN)/python examples/make_sample_media.py var/samples

bench: $(STAMP) tools
	$(BIN)/python benchmarks/probe.py
	$(BIN)/python benchmarks/full.py
	$(BIN)/python benchmarks/service.py

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,aws,cdk]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache cdk.out

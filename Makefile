# Marraine — the two commands: `make demo` and `make test`. Both build .venv from nothing.
# Nothing is assumed but Python 3.11, make, git and apt-get (system packages the tests need,
# PostgreSQL and Chromium, are installed by scripts/ when missing).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTEST_WORKERS ?= 2

.PHONY: demo test lint format serve bench bench-quick bench-solve bench-objectives bench-text messages system-deps clean help

help:
	@echo "make demo    set up and match a synthetic programme (writes ./marraine-demo/)"
	@echo "make test    set up and run every test (lint, types, unit, service, browser, notebooks)"
	@echo "make serve   start the HTTP service and the review page on http://127.0.0.1:8000"
	@echo "make bench   run the benchmarks against baselines (writes benchmarks/results/;"
	@echo "             the first run creates benchmarks/.venv-baselines from PyPI)"
	@echo "make bench-quick  the same on small sizes"
	@echo "make bench-solve  solve time against candidate arcs at fixed cohort sizes"
	@echo "make bench-objectives  total, coverage, fair and a binding quota at scale"
	@echo "make bench-text  text matching across French, Arabic and English: quality and speed"
	@echo "make messages  extract the explanations' messages and compile the catalogues"
	@echo "make lint    ruff check, ruff format --check, mypy --strict"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/marraine demo

system-deps:
	@bash scripts/install-postgres.sh
	@bash scripts/install-chromium.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict matching service

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: $(STAMP) system-deps lint
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup

serve: $(STAMP)
	$(BIN)/marraine serve

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

bench-quick: $(STAMP)
	$(BIN)/python -m benchmarks.run --quick

bench-solve: $(STAMP)
	$(BIN)/python -m benchmarks.solve_scaling

bench-objectives: $(STAMP)
	$(BIN)/python -m benchmarks.objectives

bench-text: $(STAMP)
	$(BIN)/python -m benchmarks.text

# The .mo files are committed beside their .po sources (a fresh clone needs no step);
# tests/test_messages.py fails when a message is untranslated or a .mo is stale.
messages: $(STAMP)
	$(BIN)/pybabel extract --no-location --omit-header -k gettext -k ngettext:1,2 \
		-o matching/locale/marraine.pot matching/messages.py matching/cli.py
	$(BIN)/pybabel update --no-fuzzy-matching --width 100 -D marraine -i matching/locale/marraine.pot \
		-d matching/locale
	$(BIN)/pybabel compile --statistics -D marraine -d matching/locale

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache marraine-demo \
		benchmarks/.venv-baselines benchmarks/.cache

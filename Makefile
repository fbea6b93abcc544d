# Marraine — the two commands: `make demo` and `make test`. Both build .venv from nothing
# (`make demo` with the engine alone, `make test` with everything).
# Nothing is assumed but Python 3.11, make, git and apt-get (system packages the tests need,
# PostgreSQL and Chromium, are installed by scripts/ when missing).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
ENGINE := $(VENV)/.engine-stamp
STAMP  := $(VENV)/.installed-stamp
PYTEST_WORKERS ?= 2
# Tests that need more than the venv: a PostgreSQL server, Debian's chromium, a Jupyter
# kernel, or minutes. `make check` leaves them out; `make test` runs them after it.
OUTER  := postgres or browser or notebooks or slow

.PHONY: demo check test lint format serve bench bench-quick bench-solve bench-objectives \
	bench-stable bench-text bench-service bench-publish bench-review bench-startup bench-scores bench-dask bench-paired \
	messages system-deps clean help

help:
	@echo "make demo    set up the engine alone and match a synthetic programme (./marraine-demo/)"
	@echo "make check   the inner loop: lint, layers, types and the unit tests"
	@echo "             (no root, no browser, no PostgreSQL)"
	@echo "make test    everything: make check, then the system packages (PostgreSQL, chromium)"
	@echo "             and the service, browser, notebook and slow tests"
	@echo "make serve   start the HTTP service and the review page on http://127.0.0.1:8000"
	@echo "make bench   run the benchmarks against baselines (writes benchmarks/results/;"
	@echo "             the first run creates benchmarks/.venv-baselines from PyPI)"
	@echo "make bench-quick  the same on small sizes"
	@echo "make bench-solve  solve time against candidate arcs at fixed cohort sizes"
	@echo "make bench-objectives  total, coverage, fair and a binding quota at scale"
	@echo "make bench-stable  stable matching against the hospital-residents library, and at scale"
	@echo "make bench-text  text matching across French, Arabic and English: quality and speed"
	@echo "make bench-service  a service run (upload, POST to succeeded) against the match in it"
	@echo "make bench-publish  publishing 30,000 pairs: this tree against BASELINE (default main)"
	@echo "make bench-review  the review page in Chromium: server time and time to interactive"
	@echo "make bench-startup  import matching, marraine --help and --version as whole processes"
	@echo "make bench-scores  marraine match --scores against a full-graph min-cost flow"
	@echo "make bench-dask  300,000 x 30,000 on a local Dask cluster, and one machine's ceiling"
	@echo "make bench-paired  this tree's match against BASELINE (default main), paired rounds"
	@echo "make messages  extract the explanations' messages and compile the catalogues"
	@echo "make lint    ruff check, ruff format --check, the import layers, mypy --strict"

# The engine alone (pyproject's core dependencies): what `make demo` needs. --no-compile:
# Python compiles what it imports on first use, not every installed module up front.
$(ENGINE): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-compile -e .
	touch $(ENGINE)

# Everything: the engine with the [dev] extra (service, research, tests, linters).
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(ENGINE) $(STAMP)

demo: $(ENGINE)
	$(BIN)/marraine demo

system-deps:
	@bash scripts/install-postgres.sh
	@bash scripts/install-chromium.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy --strict matching service

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: lint
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup -q -m "not ($(OUTER))"

test: check system-deps
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup -m "$(OUTER)"

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

bench-startup: $(STAMP)
	$(BIN)/python -m benchmarks.startup

bench-scores: $(STAMP)
	$(BIN)/python -m benchmarks.score_tables

bench-service: $(STAMP) system-deps
	$(BIN)/python -m benchmarks.service

bench-publish: $(STAMP) system-deps
	$(BIN)/python -m benchmarks.publish --baseline $(BASELINE)

bench-review: $(STAMP) system-deps
	$(BIN)/python -m benchmarks.review_browser $(ARGS)

bench-stable: $(STAMP)
	$(BIN)/python -m benchmarks.stable

bench-text: $(STAMP)
	$(BIN)/python -m benchmarks.text

bench-dask: $(STAMP)
	$(BIN)/python -m benchmarks.dask_scale

BASELINE ?= main
bench-paired: $(STAMP)
	$(BIN)/python -m benchmarks.paired --baseline $(BASELINE)

# The .mo files are committed beside their .po sources (a fresh clone needs no step);
# tests/test_messages.py fails when a message is untranslated or a .mo is stale.
messages: $(STAMP)
	$(BIN)/pybabel extract --no-location --omit-header -k gettext -k ngettext:1,2 \
		-k Message -k plural_message:1,2 -o matching/locale/marraine.pot \
		matching/messages.py matching/cli.py matching/_check_text.py matching service
	$(BIN)/pybabel update --no-fuzzy-matching --width 100 -D marraine -i matching/locale/marraine.pot \
		-d matching/locale
	$(BIN)/pybabel compile --statistics -D marraine -d matching/locale

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache marraine-demo \
		benchmarks/.venv-baselines benchmarks/.cache

# The two commands of the README, and a few helpers. Each target creates the virtual environment
# .venv (Python 3.11) and installs the project's pinned dependencies into it when needed.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)

.PHONY: book book-strict test lint reproduce bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

## Build the HTML book into _build/html (executes the chapters; paper-scale results are loaded
## from results/).
book: $(STAMP)
	$(BIN)/jb build book

## The strict build CI runs: every page rebuilt, warnings are errors, nitpicky references.
book-strict: $(STAMP)
	$(BIN)/jb build book --all -W -n --keep-going

## The whole test suite: unit tests and every chapter executed through nbval (smoke profile).
test: $(STAMP)
	$(BIN)/python -m pytest --nbval -n 2 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check qmlr tests benchmarks conftest.py
	$(BIN)/ruff format --check qmlr tests benchmarks conftest.py

## Recompute every paper-scale study into results/ (resumable), then drop the book's execution
## cache: it is keyed on the chapters' sources only, so it would keep showing the old results.
reproduce: $(STAMP)
	$(BIN)/python -m qmlr reproduce --profile paper
	rm -rf _build/.jupyter_cache

bench: $(STAMP)
	$(BIN)/python -m qmlr bench

clean:
	rm -rf _build

# Two commands set everything up on a fresh machine with Python 3.11:
#   make report   builds the environment, the demo data and every notebook's HTML report
#   make test     builds the environment and the demo data, then runs the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   := data/demo
DEMO_ACCOUNTS ?= 2000
DEMO_SEED     ?= 7

.PHONY: help venv demo report test lint jupyter bench serve clean

help:
	@echo "make report   build the demo data and export every notebook as an HTML report into reports/"
	@echo "make test     run the whole test suite (lint, unit tests, notebooks, nbval, render test)"
	@echo "make jupyter  regenerate the executed Jupyter copies in notebooks/jupyter/"
	@echo "make bench    run the speed benchmarks and print the figures"
	@echo "make serve    serve reports/ on 127.0.0.1:8765"

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,spark]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 > /dev/null
	touch $(STAMP)

venv: $(STAMP)

$(DEMO)/.complete: $(STAMP) $(wildcard cskpi_analysis/demo/*.py)
	$(BIN)/cskpi demo --accounts $(DEMO_ACCOUNTS) --seed $(DEMO_SEED) --out $(DEMO)
	touch $@

demo: $(DEMO)/.complete

report: demo
	$(BIN)/cskpi report $(DEMO) --out reports

test: demo
	$(BIN)/ruff check cskpi_analysis tests notebooks bench
	$(BIN)/ruff format --check cskpi_analysis tests notebooks bench
	$(BIN)/marimo check --strict notebooks/[0-9][0-9]_*.py
	$(BIN)/python -m pytest
	$(BIN)/python -m pytest -p no:cacheprovider --nbval notebooks/jupyter --nbval-sanitize-with nbval_sanitize.cfg

lint: $(STAMP)
	$(BIN)/ruff check cskpi_analysis tests notebooks bench
	$(BIN)/ruff format --check cskpi_analysis tests notebooks bench

jupyter: demo
	$(BIN)/cskpi jupyter $(DEMO)

bench: $(STAMP)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

serve: $(STAMP)
	$(BIN)/cskpi serve reports

clean:
	rm -rf $(VENV) reports $(DEMO) .pytest_cache

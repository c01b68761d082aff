# The few commands people need. Each one sets up .venv from pyproject.toml first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: serve test lint format index clean

# Build the index from seeds/ if there is none yet, then serve the web UI.
serve: $(VENV)/.installed
	@test -f index/CURRENT || $(BIN)/naba index
	$(BIN)/naba serve

# Lint and run the whole test suite.
test: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# Rebuild the index from the sources in config.toml.
index: $(VENV)/.installed
	$(BIN)/naba index

format: $(VENV)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

clean:
	rm -rf $(VENV) index .pytest_cache .hypothesis

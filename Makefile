# Every target builds and uses its own virtualenv (.venv) from the lock file.
SHELL := /bin/bash
UV_VERSION := 0.13.9
VENV := .venv
BIN := $(VENV)/bin
UV := .uv/bin/uv
PYTEST_ARGS ?=

.PHONY: run test check lint typecheck bench screenshots clean venv

$(UV):
	python3 -m venv .uv
	.uv/bin/python -m pip install -q "uv==$(UV_VERSION)"

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --all-groups -q
	touch $@

venv: $(VENV)/.synced

run: venv
	$(BIN)/tui-vault

check: venv
	$(BIN)/ruff check tui_vault tests bench scripts
	$(BIN)/ruff format --check tui_vault tests bench scripts
	$(BIN)/mypy

test: check
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

bench: venv
	$(BIN)/python -m bench

screenshots: venv
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) .uv .mypy_cache .ruff_cache .pytest_cache

# Every target builds and uses its own virtualenv (.venv) from the lock file.
SHELL := /bin/bash
UV_VERSION := 0.13.9
VENV := .venv
BIN := $(VENV)/bin
UV := .uv/bin/uv
PYTEST_ARGS ?=
# Tests run in parallel (pytest-xdist): one worker per CPU; PYTEST_WORKERS=0 runs them serially.
PYTEST_WORKERS ?= auto

.PHONY: run test check lint typecheck bench screenshots clean venv app-venv system-deps

$(UV):
	python3 -m venv .uv
	.uv/bin/python -m pip install -q "uv==$(UV_VERSION)"

# Two levels: the app alone (what `make run` needs: no test servers, linters or type checker),
# and everything (`make test`, `check`, `bench`). --inexact keeps what a fuller sync added.
$(VENV)/.app-synced: pyproject.toml uv.lock | $(UV)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --no-default-groups --inexact -q
	touch $@

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --all-groups -q
	touch $@ $(VENV)/.app-synced

venv: $(VENV)/.synced

app-venv: $(VENV)/.app-synced

run: app-venv
	$(BIN)/tui-vault

check: venv
	$(BIN)/ruff check tui_vault tests bench scripts
	$(BIN)/ruff format --check tui_vault tests bench scripts
	$(BIN)/mypy

# tmux drives the end-to-end test; zsh and fish syntax-check the completion scripts. Install
# the missing ones from Debian's packages (without recommends: no clipboard tools sneak in).
SYSTEM_DEPS := tmux zsh fish
system-deps:
	@missing=""; for b in $(SYSTEM_DEPS); do command -v $$b >/dev/null 2>&1 || missing="$$missing $$b"; done; \
	[ -z "$$missing" ] || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "needed for the tests:$$missing (e.g. sudo apt-get install$$missing)"; exit 1; fi; }

test: check system-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

bench: venv
	$(BIN)/python -m bench

screenshots: venv
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) .uv .mypy_cache .ruff_cache .pytest_cache

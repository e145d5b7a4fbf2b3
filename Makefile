# Set-up on a fresh machine (needs only python3 and make):
#   make book   build the book into _build/html (strict: a Sphinx warning or a
#               notebook cell error fails the build)
#   make test   run the test suite
# Both first create .venv and install requirements.txt into it; the install is
# redone only when requirements.txt or pyproject.toml change.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DELETE_ON_ERROR:

PYTHON ?= python3
VENV := .venv
VENV_PYTHON := $(VENV)/bin/python
# Touched after a successful install: newer than its prerequisites means up to date.
INSTALL_STAMP := $(VENV)/.requirements-installed
# pip warns "Location '...' is ignored" for each configured package location it
# cannot use; drop those lines and keep the rest. pipefail keeps pip's exit status.
FILTER_PIP_NOISE := { grep -v -e 'is ignored' || true; }

# jupyter-cache keys executed notebooks on their code cells only. Clear it when
# the library or the environment changes, so the book shows their current results.
BUILD := _build
CACHE := $(BUILD)/.jupyter_cache
CACHE_STAMP := $(BUILD)/.cache-inputs
LIB_SOURCES := $(shell find dsconv_lib -name '*.py' 2>/dev/null)

.PHONY: book test venv

book: venv $(CACHE_STAMP)
	$(VENV)/bin/jupyter-book build . --all --warningiserror --keep-going

test: venv
	$(VENV_PYTHON) -m pytest

# Private: the virtual environment with the pinned requirements.
venv: $(INSTALL_STAMP)

$(VENV_PYTHON):
	$(PYTHON) -m venv $(VENV)

$(INSTALL_STAMP): requirements.txt pyproject.toml | $(VENV_PYTHON)
	@echo "Installing requirements.txt into $(VENV)"
	$(VENV_PYTHON) -m pip install -q --upgrade pip 2>&1 | $(FILTER_PIP_NOISE)
	$(VENV_PYTHON) -m pip install -q -r requirements.txt 2>&1 | $(FILTER_PIP_NOISE)
	touch $@

$(CACHE_STAMP): $(LIB_SOURCES) requirements.txt pyproject.toml
	rm -rf $(CACHE)
	mkdir -p $(BUILD)
	touch $@

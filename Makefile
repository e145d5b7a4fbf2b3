# Set-up on a fresh machine (needs python3, make, and node/npm for the book's MathJax):
#   make book   build the book into _build/html (strict: a Sphinx warning, any
#               line of the build log with WARNING or ERROR, or a notebook cell
#               error fails the build)
#   make test   run the test suite; it includes building the book (make book),
#               opening every page in headless Chromium (/usr/bin/chromium) and
#               running every chapter in a fresh kernel. Deselect those slow
#               tests with: .venv/bin/python -m pytest -m "not book"
#               Then it runs tests/dsconv_lib/gpu/test_gpu.py again with Triton installed and
#               TRITON_INTERPRET=1: the fused GPU kernel, run by Triton's
#               interpreter on the CPU, checked against the reference.
# Both first create .venv and install requirements.txt into it; the install is
# redone only when requirements.txt or a pyproject.toml (the library's, grader/'s) change.

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
# The build's output, kept for tests/book/test_book.py and for reading after a failure.
BOOK_LOG := $(BUILD)/book-build.log
# scripts/check_book_log.py then fails the build on any WARNING/ERROR line in
# the log (also those --warningiserror does not count, and Python warnings).

# The book loads nothing from a CDN: MathJax is served with it. npm installs the
# pinned release into $(BUILD)/npm, and the parts the browser loads (the combined
# tex-mml-chtml component, the fonts and the components it loads on demand) are
# copied to $(MATHJAX_DIR), which _config.yml's html_extra_path publishes as
# _build/html/mathjax/ (mathjax_path points there).
MATHJAX_VERSION := 3.2.2
NPM_PREFIX := $(BUILD)/npm
VENDOR := $(BUILD)/vendor
MATHJAX_DIR := $(VENDOR)/mathjax
MATHJAX_STAMP := $(VENDOR)/.mathjax-$(MATHJAX_VERSION)

# Triton (the version torch 2.13's CUDA build pairs with) lives in a folder of its own, put on
# PYTHONPATH only for the interpreter run of the GPU tests: the book and the other tests run without it.
TRITON_VERSION := 3.9.0
TRITON_DIR := $(BUILD)/triton-$(TRITON_VERSION)

.PHONY: book test venv

# DSCONV_STATIC_WIDGETS=1: in the built book the course's widgets (dsconv_lib.widgets) and
# questions (dsconv_lib.questions) render HTML with data computed now, which _static/dsconv.js
# drives in the page; live ones would need a kernel and ipywidgets' JavaScript.
book: venv $(CACHE_STAMP) $(MATHJAX_STAMP)
	@echo "Building the book into $(BUILD)/html (log: $(BOOK_LOG))"
	DSCONV_STATIC_WIDGETS=1 $(VENV)/bin/jupyter-book build . --all --warningiserror --keep-going 2>&1 | tee $(BOOK_LOG)
	$(VENV_PYTHON) scripts/check_book_log.py $(BOOK_LOG)

test: venv $(TRITON_DIR)/.installed
	$(VENV_PYTHON) -m pytest
	@echo "The fused GPU kernel under Triton's interpreter (TRITON_INTERPRET=1, on the CPU), and the rehearsal of benchmarks/gpu_check.sh with it"
	TRITON_INTERPRET=1 PYTHONPATH=$(TRITON_DIR) $(VENV_PYTHON) -m pytest tests/dsconv_lib/gpu/test_gpu.py tests/dsconv_lib/gpu/test_gpu_check.py -q

$(TRITON_DIR)/.installed: | $(INSTALL_STAMP)
	$(VENV_PYTHON) -m pip install -q --no-deps --target $(TRITON_DIR) triton==$(TRITON_VERSION) 2>&1 | $(FILTER_PIP_NOISE)
	touch $@

# Private: the virtual environment with the pinned requirements.
venv: $(INSTALL_STAMP)

$(VENV_PYTHON):
	$(PYTHON) -m venv $(VENV)

$(INSTALL_STAMP): requirements.txt pyproject.toml grader/pyproject.toml | $(VENV_PYTHON)
	@echo "Installing requirements.txt into $(VENV)"
	$(VENV_PYTHON) -m pip install -q --upgrade pip 2>&1 | $(FILTER_PIP_NOISE)
	$(VENV_PYTHON) -m pip install -q -r requirements.txt 2>&1 | $(FILTER_PIP_NOISE)
	touch $@

$(CACHE_STAMP): $(LIB_SOURCES) requirements.txt pyproject.toml
	rm -rf $(CACHE)
	mkdir -p $(BUILD)
	touch $@

# Private: the files the built book serves itself (MathJax).
$(MATHJAX_STAMP):
	@command -v npm >/dev/null || { echo "make book needs npm (node.js) to install MathJax; on Debian: apt-get install nodejs npm" >&2; exit 1; }
	@echo "Installing MathJax $(MATHJAX_VERSION) into $(MATHJAX_DIR)"
	rm -rf $(NPM_PREFIX) $(VENDOR)
	mkdir -p $(NPM_PREFIX) $(MATHJAX_DIR)
	npm install --prefix $(NPM_PREFIX) --no-save --no-package-lock --no-audit --no-fund --loglevel=error mathjax@$(MATHJAX_VERSION)
	cd $(NPM_PREFIX)/node_modules/mathjax/es5 && cp -R tex-mml-chtml.js input output ui a11y sre $(CURDIR)/$(MATHJAX_DIR)/
	cp $(NPM_PREFIX)/node_modules/mathjax/LICENSE $(MATHJAX_DIR)/
	touch $@

# Regenerate the student notebooks (exercises/) from the instructor ones (solutions/)
# with nbgrader, then check that every solution scores full marks and every blank
# exercise zero. See README.md, "Exercises and grading".
.PHONY: exercises
exercises: venv
	$(VENV_PYTHON) -m dsconv_grader generate
	$(VENV_PYTHON) -m dsconv_grader validate

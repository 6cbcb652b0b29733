# The two commands of the README: `make book` and `make test`.
# Both create .venv when it is missing and install the exact versions in requirements.lock.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: book test test-fast lab install data clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

# axe-core for the accessibility tests (package-lock.json); installed once, offline afterwards.
# Without npm the browser tests that need it skip (fail under LINKBOOK_REQUIRE_BROWSER).
AXE := node_modules/axe-core/axe.min.js

$(AXE): package-lock.json
	if command -v npm >/dev/null 2>&1; then npm ci --ignore-scripts --no-audit --no-fund && touch $(AXE); \
	else echo "npm not found: the accessibility tests will skip"; fi

install: $(STAMP) $(AXE)

book: $(STAMP)
	$(BIN)/linkbook build

# Every test: unit (tests/unit/<layer>/) and functional (command line, pipeline, watch, book, browser).
test: $(STAMP) $(AXE)
	$(BIN)/python -m pytest -n 2 --dist loadfile

# The unit tests alone: hand-made frames and the embedded data, no pipeline or book build.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -n 2 tests/unit

# Open the notebook templates (MyST Markdown) in JupyterLab, as notebooks; each runs top to
# bottom on its default parameters (site S1 of the embedded data).
lab: $(STAMP)
	$(BIN)/linkbook lab

# Regenerate the embedded synthetic dataset from the default seed.
data: $(STAMP)
	$(BIN)/linkbook synth --out data/synthetic

clean:
	rm -rf _build results book/generated .linkbook-cache

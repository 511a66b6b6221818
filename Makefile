# The README's two commands: `make site` builds site/, `make test` runs every test.
# Each sets up .venv from pyproject.toml on first use (and again when pyproject.toml changes).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: site test bench screenshots clean

site: $(VENV)/.site-deps
	$(BIN)/python build.py $(if $(BASE_URL),--base-url $(BASE_URL))

test: $(VENV)/.test-deps tools/node_modules/.installed
	scripts/ensure-test-deps.sh
	$(BIN)/python -m pytest -n auto --dist worksteal -m "not alone"
	$(BIN)/python -m pytest -m alone

$(VENV)/.site-deps: pyproject.toml scripts/requirements.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python scripts/requirements.py > $(VENV)/requirements-site.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r $(VENV)/requirements-site.txt
	touch $@

$(VENV)/.test-deps: $(VENV)/.site-deps
	$(BIN)/python scripts/requirements.py test > $(VENV)/requirements-test.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r $(VENV)/requirements-test.txt
	touch $@

# Figures, not a test: build and rebuild times, page weight, search speed.
bench: $(VENV)/.test-deps
	scripts/ensure-test-deps.sh
	$(BIN)/python bench/run.py

# The README's screenshots of a code page (light, dark, phone), taken in the tests' Chromium.
screenshots: $(VENV)/.test-deps
	scripts/ensure-test-deps.sh
	$(BIN)/python scripts/screenshots.py

# vnu.jar and axe-core for the HTML and accessibility checks, pinned in tools/package-lock.json.
tools/node_modules/.installed: tools/package.json tools/package-lock.json
	scripts/ensure-test-deps.sh
	cd tools && npm ci --no-audit --no-fund --silent
	touch $@

clean:
	rm -rf site dist .pytest_cache

# riskmodel: `make demo` and `make test` work on a fresh clone (they build .venv first).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
EXTRAS := test,reports,distributed

.PHONY: demo test bench gallery venv lab clean constraints look

# One line per install stage (a fresh install takes a minute or two, mostly downloads).
# setuptools' "Editable installation ... be careful with folders" notice is filtered:
# it warns about the package folder in the working directory, which is the point here.
$(STAMP): pyproject.toml constraints.txt setup.py riskmodel/sim/_kernels.c
	@test -x $(PY) || { echo "make: creating $(VENV) with $$($(PYTHON) --version)"; $(PYTHON) -m venv $(VENV); }
	@echo "make: upgrading pip"
	@$(PY) -m pip install --quiet --upgrade pip
	@echo "make: installing riskmodel and its pinned dependencies (constraints.txt; compiling the engine's loops)"
	@PYTHONWARNINGS="ignore:Editable installation" $(PY) -m pip install --quiet -c constraints.txt -e ".[$(EXTRAS)]"
	@echo "make: registering the Jupyter kernel 'Python (riskmodel)'"
	@$(PY) -m ipykernel install --sys-prefix --name riskmodel --display-name "Python (riskmodel)" >/dev/null
	@touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/riskmodel simulate data/scenarios/soc2_readiness.yaml
	$(VENV)/bin/riskmodel batch data/batches/leadership.yaml --jobs 2

test: $(STAMP)
	$(PY) -m ruff check riskmodel tests benchmarks scripts
	$(PY) -m mypy riskmodel
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) benchmarks/run.py

gallery: $(STAMP)
	$(PY) scripts/gallery.py

# `make look [BATCH=reports/<batch>]`: the deck and workbook as PDF and PNG pages (and
# screenshots of the HTML pages) in reports/<batch>/_look/ (LibreOffice, pdftoppm, Chromium).
BATCH ?= reports/leadership
look: $(STAMP)
	$(PY) -m riskmodel.reporting.look $(BATCH)

# root (a container, CI) needs --allow-root, or Jupyter refuses to start
lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/ $$([ "$$(id -u)" = 0 ] && echo --allow-root)

constraints: $(STAMP)
	{ echo "# Exact versions installed by 'make' (pip install -c constraints.txt). Regenerate with"; \
	  echo "# 'make constraints' after changing the ranges in pyproject.toml."; \
	  $(PY) -m pip freeze --exclude-editable; } > constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info riskmodel/sim/_kernels*.so

# riskmodel: `make demo` and `make test` work on a fresh clone (they build .venv first).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
EXTRAS := test,reports,distributed

.PHONY: demo test bench gallery venv lab clean constraints

$(STAMP): pyproject.toml constraints.txt setup.py riskmodel/sim/_kernels.c
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[$(EXTRAS)]"
	$(PY) -m ipykernel install --sys-prefix --name riskmodel --display-name "Python (riskmodel)"
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/riskmodel simulate data/scenarios/soc2_readiness.yaml
	$(VENV)/bin/riskmodel batch data/batches/leadership.yaml --jobs 2

test: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) benchmarks/run.py

gallery: $(STAMP)
	$(PY) scripts/gallery.py

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/

constraints: $(STAMP)
	{ echo "# Exact versions installed by 'make' (pip install -c constraints.txt). Regenerate with"; \
	  echo "# 'make constraints' after changing the ranges in pyproject.toml."; \
	  $(PY) -m pip freeze --exclude-editable; } > constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info riskmodel/sim/_kernels*.so

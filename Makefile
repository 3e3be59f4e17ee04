# Two promises (README): `make demo` runs the baseline; `make test` passes the tests.
# Both set up .venv/ from the pinned requirements.txt first, so each works from a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CLASSROOM_STAMP := $(VENV)/.classroom-installed

.PHONY: setup demo test bench clean classroom

setup: $(STAMP)

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

# classroom mode (app.py) and its browser tests: the extras pinned in requirements-classroom.txt
$(CLASSROOM_STAMP): $(STAMP) requirements-classroom.txt
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-classroom.txt
	touch $(CLASSROOM_STAMP)

classroom: $(CLASSROOM_STAMP)
	$(PY) -m classroom.serve

demo: setup
	$(PY) run.py

test: setup $(CLASSROOM_STAMP)
	$(PY) -m pytest -q

bench: setup
	$(PY) benchmarks/bench_baseline.py

# Removes what setup and the tests made; results/ holds your runs and studies and is yours to delete.
clean:
	rm -rf $(VENV) .pytest_cache .hypothesis

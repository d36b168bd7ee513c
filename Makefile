# One line per target. `make run` and `make test` install into .venv when needed.
PY := .venv/bin/python
STAMP := .venv/.installed

.PHONY: install run test lint bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,notebook,dask]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	.venv/bin/convergence run scenarios/canonical-22.yaml

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy && .venv/bin/lint-imports

bench: $(STAMP)
	$(PY) bench/run.py

clean:
	rm -rf .venv runs .pytest_cache .mypy_cache .ruff_cache build *.egg-info

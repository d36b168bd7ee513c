# One line per target. `make run` and `make test` install into .venv when needed.
PY := .venv/bin/python
STAMP := .venv/.installed

.PHONY: install run demo tools test lint bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install -qq --upgrade pip
	$(PY) -m pip install -qq -e '.[dev,notebook,dask]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	.venv/bin/convergence run scenarios/canonical-22.yaml

demo: $(STAMP)
	@.venv/bin/convergence run scenarios/canonical-22.yaml --live

# tmux lets the tests drive the live dashboard in a real terminal; without it they skip.
tools:
	@command -v tmux >/dev/null || { apt-get update -qq && apt-get install -y -qq tmux >/dev/null; } || echo "tmux unavailable: terminal tests will skip"

test: $(STAMP) tools
	$(PY) -m pytest

lint: $(STAMP)
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy && .venv/bin/lint-imports

bench: $(STAMP)
	$(PY) bench/run.py

clean:
	rm -rf .venv runs .pytest_cache .mypy_cache .ruff_cache build *.egg-info

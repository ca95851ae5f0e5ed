# community-governance: the two quick-start commands are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DB     ?= sqlite:///yima.db

.PHONY: demo demo-sanmenxia test lint typecheck unit docs bench clean install mutation

$(STAMP): pyproject.toml plugins/yima/pyproject.toml plugins/hubin/pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found %s)" % sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' -e plugins/yima -e plugins/hubin
	@# editable sources get no bytecode from pip; with PYTHONDONTWRITEBYTECODE set, every
	@# start would compile them again (about half a second of `cgov`'s start-up)
	$(BIN)/python -m compileall -q src plugins > /dev/null
	@touch $(STAMP)

install: $(STAMP)

## demo: build Yima's 2019 urban area into ./yima.db (sealed with ./yima.key) and print its summary
demo: $(STAMP)
	rm -f yima.db yima.db-wal yima.db-shm
	$(BIN)/cgov demo yima --db $(DB)

## demo-sanmenxia: build Yima and 湖滨区 into ./sanmenxia.db, each under its own plugin
demo-sanmenxia: $(STAMP)
	rm -f sanmenxia.db sanmenxia.db-wal sanmenxia.db-shm
	$(BIN)/cgov demo sanmenxia --db sqlite:///sanmenxia.db

## test: lint, type-check, run the tests (examples and docs included) and build the docs
test: lint typecheck unit docs

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples plugins

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q -p no:randomly

docs: $(STAMP)
	$(BIN)/sphinx-build -q -W --keep-going -b html docs docs/_build/html

## bench: run every benchmark; each prints JSON lines
bench: $(STAMP)
	@set -e; for f in benchmarks/bench_*.py; do echo "# $$f" >&2; $(BIN)/python $$f; done

## mutation: mutation testing of domain/ and calendars/ with mutmut (slow, not in CI).
## One module: make mutation MUTANTS='community_governance.domain.idnumber*'
MUTANTS ?=
mutation: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[mutation]'
	nice $(BIN)/mutmut run $(MUTANTS)
	$(BIN)/python tools/mutation_scores.py

clean:
	rm -rf $(VENV) mutants docs/_build .pytest_cache .mypy_cache .ruff_cache yima.db yima.db-wal yima.db-shm \
		sanmenxia.db sanmenxia.db-wal sanmenxia.db-shm yima.key sanmenxia.key

# Two commands on a fresh machine: `make demo` and `make test` (each creates/refreshes .venv).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
ARGS ?=
# what mypy checks (make lint): the product, the Scrapy runtime (crawler/, spiders/) included
TYPED := monitor crawler spiders
PYTEST_ARGS ?=

# generated estates `make evaluate` scans (monitor/testbed/evaluate.py); EVAL_ARGS e.g. "-v --json eval.json -j 4"
SEEDS ?= 1000-1049
EVAL_ARGS ?=

.PHONY: demo test bench evaluate venv clean lint

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

demo: venv
	$(VENV)/bin/xxgk demo $(ARGS)

# pytest exits 5 when it collected nothing: never let an empty run pass.
test: venv
	$(PY) -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "no tests were collected" >&2; exit 1; fi; exit $$rc

# ruff on everything; mypy on the typed seams. CI runs it after the tests.
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy $(TYPED)

bench: venv
	$(PY) -m monitor.testbed.bench $(ARGS)
	$(MAKE) evaluate

# the product against generated layouts: evidence, last-changed, list rows, article dates, report counts
evaluate: venv
	$(PY) -m monitor.testbed.evaluate --seeds $(SEEDS) $(EVAL_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache

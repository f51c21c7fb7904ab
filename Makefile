# SalesGoals — the two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format worker beat bench fuzz load messages compilemessages install checks e2e clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

compilemessages: $(STAMP)
	@$(MANAGE) compilemessages --ignore=.venv -v0

# `make run` is for trying the product: debug mode (and demo data) unless DJANGO_DEBUG says otherwise.
RUN_ENV := DJANGO_DEBUG=$${DJANGO_DEBUG:-1}

run: $(STAMP) compilemessages
	$(RUN_ENV) $(MANAGE) migrate --noinput -v0
	$(RUN_ENV) $(MANAGE) seed_demo --if-empty
	@echo ""
	@echo "  SalesGoals is starting on http://$(HOST):$(PORT)/"
	@echo "  Demo logins (password: salesgoals): admin, executive, manager, rep"
	@echo ""
	$(RUN_ENV) $(MANAGE) runserver $(HOST):$(PORT)

worker: $(STAMP)
	$(VENV)/bin/celery -A salesgoals worker -l info

beat: $(STAMP)
	$(VENV)/bin/celery -A salesgoals beat -l info

checks: $(STAMP) compilemessages
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(MANAGE) makemigrations --check --dry-run -v0
	$(MANAGE) spectacular --validate --fail-on-warn --file /dev/null
	DJANGO_DEBUG=0 DJANGO_SECRET_KEY=ci-check-$$(date +%s)-a-long-random-production-secret-value-xyz \
	  DJANGO_ALLOWED_HOSTS=salesgoals.example.com $(MANAGE) check --deploy --fail-level WARNING

# Two pytest workers by default (the machines have two cores); PYTEST_WORKERS=0 runs serially.
PYTEST_WORKERS ?= 2

test: checks
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

e2e: $(STAMP) compilemessages
	$(VENV)/bin/pytest tests/e2e $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

messages: $(STAMP)
	$(MANAGE) makemessages -l zh_Hans -l en --ignore=.venv --ignore=staticfiles --no-obsolete
	$(MANAGE) makemessages -d djangojs -l zh_Hans -l en --ignore=.venv --ignore=staticfiles --ignore=static/vendor --no-obsolete

# Benchmarks print JSON; `make load` is the locust run against gunicorn (bench/load.py).
bench: $(STAMP)
	@for script in bench/[!_]*.py; do echo "# $$script"; $(PY) $$script; done

load: $(STAMP) compilemessages
	$(PY) bench/load.py $(LOAD_ARGS)

# The long API fuzzing run (CI runs the same tests with fewer examples per operation).
FUZZ_EXAMPLES ?= 100
fuzz: $(STAMP) compilemessages
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(VENV)/bin/pytest tests/fuzz -m fuzz -p no:xdist $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) staticfiles db.sqlite3

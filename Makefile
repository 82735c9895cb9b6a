# conflictdata: `make run` serves real data on SQLite; `make test` runs lint and the whole suite;
# `make serve` serves in production mode under gunicorn; `make bench` measures the API against Datasette and a bare
# floor (neither is part of the tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
DEV := DJANGO_DEBUG=1

.PHONY: run test serve bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "conflictdata needs Python 3.11 or newer; set PYTHON=python3.X")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(DEV) $(BIN)/python manage.py migrate --noinput
	$(DEV) $(BIN)/python manage.py load_shipped_data
	@echo
	@echo "conflictdata is serving on http://127.0.0.1:$(PORT)/"
	@echo "  home page:  http://127.0.0.1:$(PORT)/"
	@echo "  API:        http://127.0.0.1:$(PORT)/api/v1/"
	@echo "  API docs:   http://127.0.0.1:$(PORT)/api/docs/   (Redoc: /api/redoc/, OpenAPI schema: /api/schema/)"
	@echo "  admin:      http://127.0.0.1:$(PORT)/admin/   (make a login: $(BIN)/python manage.py createcurator NAME)"
	@echo
	$(DEV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# Production serving under gunicorn, debug off: DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS and DATABASE_URL must be
# set (README: Deployment); WEB_CONCURRENCY sets the number of workers (gunicorn reads it), PORT the port.
serve: $(VENV)/.installed-run
	@test -n "$$DATABASE_URL" || { echo "make serve needs DATABASE_URL, e.g. postgres://conflictdata@127.0.0.1:5432/conflictdata"; exit 1; }
	DJANGO_DEBUG=0 $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	DJANGO_DEBUG=0 $(BIN)/gunicorn conflictdata.wsgi:application --bind 0.0.0.0:$(PORT) --timeout 60 --graceful-timeout 30

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	@touch $@

# The benchmark against Datasette and a bare floor (bench/run.py; N=, DURATION=, SERVE=, DATABASE_URL= to change).
# SIZES=250000,1000000,4000000 (with DURATION=3 ROUNDS=1, say) measures instead how the API's cost grows with the
# table: the same questions of databases of each size whose every party and category holds the same claims.
bench: $(VENV)/.installed-bench
	@command -v wrk >/dev/null || { echo "make bench needs wrk: sudo apt-get install wrk (Debian, Ubuntu) or brew install wrk"; exit 1; }
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache

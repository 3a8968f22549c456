# The two commands of the README. Everything else is set up by them.
PYTHON ?= python3
VENV ?= .venv
PORT ?= 8000

.PHONY: run test test-postgres install lint messages clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

## Start the portal with the demo IA-cluster call (web server + Celery worker and beat).
run: install
	PORT=$(PORT) VENV=$(VENV) bash scripts/run.sh

## Lint, type check, import contracts, migrations/deploy checks and the whole test suite.
test: install
	VENV=$(VENV) bash scripts/test.sh

## The test suite once more against a throwaway PostgreSQL cluster (CI does it too).
test-postgres: install
	VENV=$(VENV) bash scripts/test_postgres.sh

## Regenerate the French/English translation catalogs (needs gettext).
messages: install
	$(VENV)/bin/python manage.py makemessages -l fr -l en --ignore=.venv --ignore=var
	$(VENV)/bin/python manage.py makemessages -d djangojs -l fr -l en --ignore=.venv --ignore=var --ignore=static/vendor
	$(VENV)/bin/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf var

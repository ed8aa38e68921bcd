# The two README commands are `make run` and `make test`; the rest serve them and CI.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint bench install clean

run: $(STAMP)  ## Migrate, seed demo data, start web + worker + beat (embedded default)
	$(BIN)/python manage.py run_embedded

test: $(STAMP)  ## The whole test suite (real PostgreSQL/Redis when DATABASE_URL etc. are set)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)  ## ruff, import-linter, migrations in sync, production deploy check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest -q tests/test_settings_and_health.py -k check_deploy

bench: $(STAMP)  ## Benchmarks under bench/ (need DATABASE_URL pointing at PostgreSQL)
	$(BIN)/python -m bench

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { \
	  echo "Could not create a virtualenv. On Debian: apt-get install python3-venv"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

clean:
	rm -rf var

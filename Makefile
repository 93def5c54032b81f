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

## make run: install, migrate, load the demo city, serve it (PORT=8000 by default) with its admin.
run: export GOVSITE_DEBUG ?= 1
run: install
	mkdir -p var
	$(BIN)/python manage.py migrate --no-input -v 0
	$(BIN)/python manage.py load_demo --port $(PORT)
	$(BIN)/python manage.py collectstatic --no-input -v 0
	$(BIN)/granian --interface wsgi --host $(HOST) --port $(PORT) --workers 1 --blocking-threads 4 \
		--static-path-route /static --static-path-mount var/static govsite.wsgi:application

## make test: install what the tests need (Debian chromium and postgresql when root),
## start PostgreSQL, run the whole suite on SQLite and then on PostgreSQL.
test: install
	bash scripts/test-services.sh
	bash scripts/run-tests.sh

lint: install
	$(BIN)/ruff check .

bench: install
	@for b in bench/*/run.py; do [ -f "$$b" ] && $(BIN)/python "$$b" || true; done

clean:
	rm -rf var/test-* .pytest_cache

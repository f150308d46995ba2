# Two commands matter: `make run` and `make test`. Both set up whatever is missing first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
POSTGRES_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/boxoffice_test
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test test-sqlite test-postgres test-concurrency test-drills test-e2e lint chromium screenshots migration clean

## run: install, migrate, seed the demo data and serve on http://127.0.0.1:8000
run: $(VENV)/.installed-app
	$(BIN)/boxoffice demo
	$(BIN)/boxoffice serve

## test: install everything the tests need (Debian's chromium too) and run every suite
test: lint test-sqlite test-postgres test-concurrency test-drills test-e2e

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-logo

test-sqlite: $(VENV)/.installed-test
	$(BIN)/pytest tests/unit tests/integration

test-postgres: $(VENV)/.installed-test
	BOXOFFICE_TEST_DATABASE_URL=$(POSTGRES_TEST_URL) $(BIN)/pytest tests/integration

## test-concurrency: 200 buyers race a `boxoffice serve --workers 2` process, on SQLite and on PostgreSQL
test-concurrency: $(VENV)/.installed-test
	POSTGRES_TEST_URL=$(POSTGRES_TEST_URL) $(BIN)/pytest tests/concurrency

## test-drills: kill -9 web workers and the worker mid-checkout and mid-send, replay 1,000 Stripe events,
## and split a rush across two servers; each drill prints what it did and found
test-drills: $(VENV)/.installed-test
	POSTGRES_TEST_URL=$(POSTGRES_TEST_URL) $(BIN)/pytest tests/drills

test-e2e: $(VENV)/.installed-test chromium
	$(BIN)/pytest tests/e2e --screenshot only-on-failure --output tests/e2e/screenshots

chromium:
	@command -v chromium >/dev/null || { \
		echo "Installing Debian's chromium for the browser tests"; \
		$(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

$(VENV)/.installed-app: pyproject.toml
	@{ ldconfig -p | grep -q libpangoft2-1.0 && ldconfig -p | grep -q libharfbuzz-subset; } || { \
		echo "Installing Debian's pango and harfbuzz-subset, which WeasyPrint needs for ticket PDFs"; \
		$(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed-app
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

## screenshots: the README's pictures, taken by the browser tests of the screens they show
screenshots: $(VENV)/.installed-test chromium
	mkdir -p docs/screenshots
	BOXOFFICE_SCREENSHOTS=docs/screenshots $(BIN)/pytest tests/e2e/test_sell_keys.py tests/e2e/test_checkin.py \
		tests/e2e/test_checkout_clock.py -k "16_keys or door_mode_on_a_phone or offers_more_time or wider"

## migration APP=sales: write a migration for the changes to APP's tables
migration: $(VENV)/.installed-app
	PICCOLO_CONF=boxoffice.piccolo_conf $(BIN)/piccolo migrations new $(APP) --auto

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .import_linter_cache

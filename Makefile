# Bangdai: two commands on a fresh machine.
#   make demo   set everything up and serve the app with demo data on SQLite (http://127.0.0.1:8000), a task worker and the reminder scheduler
#   make test   set everything up and run the whole suite
SHELL := /bin/bash
PY312 ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12) $(shell command -v python3.12 2>/dev/null))
VENV := .venv
BIN := $(VENV)/bin
DEMO_SCALE ?= province
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# Two workers on two cores; browser and production tests stay together on one worker each (their own servers).
PARALLEL ?= -n auto --dist loadgroup

.PHONY: demo demo-reset serve test test-fast lint bench bench-% browsers help clean lock

help:
	@grep -E '^#   ' Makefile | sed 's/^#   //'

$(BIN)/.installed: requirements.lock pyproject.toml
	@test -n "$(PY312)" || { echo "Python 3.12 is needed (pyenv install 3.12.1)"; exit 1; }
	test -x $(BIN)/python || $(PY312) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

$(BIN)/.dev-installed: $(BIN)/.installed requirements-dev.lock
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.lock
	touch $@

# Debian's Chromium (browser tests, screenshots) and a CJK font; installed when missing.
browsers:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "noto.*cjk" || ! ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0; then \
		echo "Installing chromium, fonts-noto-cjk and Pango for WeasyPrint (Debian packages)"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; \
	fi

demo: $(BIN)/.installed
	$(BIN)/bangdai migrate --noinput -v0
	$(BIN)/bangdai demo --scale $(DEMO_SCALE) --if-empty
	@# A task worker beside the web server runs background jobs (large imports, certificate batches).
	$(BIN)/bangdai db_worker --no-reload -v0 & worker=$$!; $(BIN)/bangdai scheduler -v0 & scheduler=$$!; \
		trap 'kill $$worker $$scheduler 2>/dev/null' EXIT INT TERM; \
		$(BIN)/bangdai runserver $(HOST):$(PORT)

demo-reset:
	rm -f var/bangdai.sqlite3 var/bangdai.sqlite3-*

test: $(BIN)/.dev-installed browsers
	$(BIN)/bangdai makemigrations --check --dry-run -v0
	$(BIN)/pytest $(PARALLEL) $(PYTEST_ARGS)

test-fast: $(BIN)/.dev-installed
	$(BIN)/pytest -m "not browser" $(PARALLEL) $(PYTEST_ARGS)

lint: $(BIN)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bangdai check
	$(BIN)/bangdai makemigrations --check --dry-run

bench: $(BIN)/.dev-installed
	$(BIN)/python -m bench all

bench-%: $(BIN)/.dev-installed
	$(BIN)/python -m bench $*

# Regenerate the lock files from pyproject.toml in a throwaway environment.
lock:
	rm -rf /tmp/bangdai-lock && $(PY312) -m venv /tmp/bangdai-lock
	/tmp/bangdai-lock/bin/pip install -q . && /tmp/bangdai-lock/bin/pip freeze | grep -v '^bangdai' > requirements.lock
	/tmp/bangdai-lock/bin/pip install -q '.[dev]' && /tmp/bangdai-lock/bin/pip freeze | grep -v '^bangdai' | \
		grep -vxFf requirements.lock > requirements-dev.lock

clean:
	rm -rf $(VENV) var

# The two entry points a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO ?= synthetic
DEMO_DAYS ?= 90
BANK_LOG ?= ../shared/data/anonymous-bank-1999/october.txt

TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/peakdesk
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: demo test lint messages services browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime-installed $@

messages: $(VENV)/.runtime-installed
	$(BIN)/python manage.py compilemessages --ignore=.venv --verbosity 0

demo: $(VENV)/.runtime-installed messages
	$(BIN)/python manage.py migrate --no-input
ifeq ($(DEMO),bank)
	$(BIN)/python manage.py import_consultations $(BANK_LOG) --format anonymous-bank \
		--timezone Asia/Jerusalem
else
	$(BIN)/python manage.py generate_demo_data --days $(DEMO_DAYS) --per-day 3000 --seed 1
endif
	$(BIN)/python manage.py refresh_analytics
	$(BIN)/python manage.py create_demo_superuser
	$(BIN)/python manage.py runserver 127.0.0.1:8000

services:
	./scripts/ensure-services.sh

# The browser tests drive Debian's Chromium, and screenshots of Chinese pages need a
# CJK font; as root, install whichever is missing (nothing happens when both are
# there), otherwise say what to install.
browser:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="chromium"; \
	fc-list :lang=zh 2>/dev/null | grep -q . || missing="$$missing fonts-wqy-microhei"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else \
			echo "Missing for the browser tests: $$missing (apt-get install as root)." >&2; \
		fi; \
	fi

test: $(VENV)/.dev-installed services browser
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
		$(BIN)/python manage.py compilemessages --ignore=.venv --verbosity 0
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
		$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Shiming: `make run` starts the product on the embedded default; `make test` runs the whole suite;
# `make check` is the developer's fast loop (lint, types, and the suite without its slow parts).
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
LOCK_HASH := $(shell sha1sum requirements.lock | cut -c1-12)
STAMP := $(VENV)/.installed-$(LOCK_HASH)

MODELS_DIR ?= $(or $(SHIMING_MODELS_DIR),var/models)
MODELS_FROM ?=

.PHONY: run test check lint typecheck pytest services lock messages audio clean models deploy-check

$(STAMP): requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is needed (Python 3.11): install it, or run make PYTHON=/path/to/python3.11"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing the pinned environment into $(VENV) (first time: a few minutes)..."
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet --no-deps -r requirements.lock
	@rm -f $(VENV)/.installed-*
	@touch $@

## run: set up and start the product on SQLite, the in-memory channel layer and in-process tasks
run: $(STAMP)
	@mkdir -p var
	@DJANGO_SETTINGS_MODULE=config.settings.local $(BIN)/python manage.py migrate --noinput -v 0
	@DJANGO_SETTINGS_MODULE=config.settings.local $(BIN)/python manage.py seed_demo
	@DJANGO_SETTINGS_MODULE=config.settings.local $(BIN)/python manage.py face_matcher
	@DJANGO_SETTINGS_MODULE=config.settings.local $(BIN)/python scripts/serve $(HOST) $(PORT)

## models: install the face model files, verified by SHA-384, into $(MODELS_DIR) (SHIMING_MODELS_DIR):
## downloaded from the vendors' pinned addresses, or copied from a folder with MODELS_FROM=DIR
models: $(STAMP)
	@$(BIN)/python -m registration.face_matching.model_files --dest $(MODELS_DIR) $(if $(MODELS_FROM),--from $(MODELS_FROM))

## test: set up and run the whole suite against real PostgreSQL and Redis (started if needed)
test: $(STAMP) services lint typecheck pytest

## check: the fast loop: lint, format check, types and the suite without e2e, faults, load, model and slow tests
CHECK_MARKERS ?= not e2e and not faults and not load and not model and not slow
check: $(STAMP) services
	@start=$$(date +%s); \
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy . \
	&& $(BIN)/python -m pytest -q -m "$(CHECK_MARKERS)" $(PYTEST_ARGS); \
	status=$$?; echo "make check: $$(( $$(date +%s) - start )) s (load average: $$(cut -d' ' -f1-3 /proc/loadavg))"; exit $$status

services:
	@scripts/ensure-services

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy .

pytest: $(STAMP) services
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## deploy-check: build the production images, run docker/compose.yml, drive it through the proxy, inject faults (root; docs/deployment.md)
deploy-check: $(STAMP)
	$(BIN)/python scripts/deploy-check $(DEPLOY_CHECK_ARGS)

## lock: re-pin every package from the environment in $(VENV)
lock:
	@$(BIN)/pip freeze --exclude-editable | grep -v -E '^(pip|setuptools|wheel)==' > requirements.lock.new
	@mv requirements.lock.new requirements.lock

## messages: recompile the translation catalogues after editing locale/*/LC_MESSAGES/django.po
messages: $(STAMP)
	DJANGO_SETTINGS_MODULE=config.settings.local $(BIN)/python manage.py compilemessages -l zh_Hans -l en --ignore=.venv

## audio: re-synthesise the spoken live-check prompts (espeak-ng, Opus via ffmpeg) after a prompt or its translation changed
audio: $(STAMP)
	@DJANGO_SETTINGS_MODULE=config.settings.local $(BIN)/python manage.py prompt_audio

clean:
	rm -rf var .mypy_cache .ruff_cache

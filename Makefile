# Two commands: `make demo` and `make test`. Each installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.lock | cut -c1-12)
# DATABASE_URL if set, else an embedded PostgreSQL (pgserver) under var/.
DB_URL = $${DATABASE_URL:-$$($(BIN)/python -m core.embedded_db)}

.PHONY: install browser media demo test lint pytest bench clean

install: $(STAMP)

$(STAMP): requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.lock
	rm -f $(VENV)/.installed-* && touch $@

# Debian's Chromium for the browser tests (tests/browser); sudo only when not root.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
browser:
	@test -x /usr/bin/chromium || \
	($(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends chromium)

# Debian's ffmpeg for media previews and the course video pipeline.
media:
	@test -x /usr/bin/ffmpeg || \
	($(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends ffmpeg)

demo: install media
	@export DATABASE_URL="$(DB_URL)" DJANGO_SETTINGS_MODULE=core.settings.dev && \
	$(BIN)/python manage.py migrate_tenants && \
	$(BIN)/python manage.py demo_fleet && \
	$(BIN)/uvicorn core.asgi:application --host 0.0.0.0 --port 8000 --lifespan off

test: install browser media lint pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DATABASE_URL=postgres://unused/unused $(BIN)/mypy .
	$(BIN)/lint-imports

# Two pytest-xdist workers, a file each at a time (each worker has its own test database and
# Redis database); PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= 2
pytest: install
	@export DATABASE_URL="$(DB_URL)" && \
	$(BIN)/pytest $(if $(CI),--create-db,) $(if $(filter-out 0,$(PYTEST_WORKERS)),-n $(PYTEST_WORKERS) --dist loadfile,) $(PYTEST_ARGS)

bench: install
	@export DATABASE_URL="$(DB_URL)" && \
	for bench in provisioning migrate_fleet auth search storefront web checkout licensing dashboards chat notifications gigs slots downloads courses recommendations; do \
		$(BIN)/python bench/$$bench.py || exit 1; done

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .import_linter_cache

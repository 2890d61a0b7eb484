# fieldops: `make run` serves a demo on http://127.0.0.1:5000, `make test` runs the whole suite.
# Every target can be rerun: the virtualenv is reused, migrations, admin units and demo data are idempotent.

# The official commune list (vietnam-provinces 2026.9+) needs Python 3.12 or newer. PYTHON=... overrides the
# choice; otherwise the first that is new enough of: python3, python3.12 (and pyenv's 3.12), python3.13 (and
# pyenv's 3.13), any newer pyenv version.
PYTHON_MIN := 3.12
PYTHON_OK := import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)
ifeq ($(origin PYTHON),undefined)
PYTHON := $(shell for candidate in python3 python3.12 $$(pyenv prefix 3.12 2>/dev/null)/bin/python3 \
	  python3.13 $$(pyenv prefix 3.13 2>/dev/null)/bin/python3 \
	  $$(ls -d "$$(pyenv root 2>/dev/null)"/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -V); do \
	  command -v "$$candidate" >/dev/null 2>&1 && "$$candidate" -c '$(PYTHON_OK)' 2>/dev/null && { echo "$$candidate"; break; }; \
	done)
endif
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

export SPATIALITE_LIBRARY_PATH ?= mod_spatialite

.PHONY: run test lint spatialite db venv translations app node-check

venv: $(VENV)/.installed

# A .venv made by an older Python is rebuilt (the phony check runs every time, the venv only when needed).
$(VENV)/bin/python: venv-python-check
	@if [ -x $@ ] && $@ -c '$(PYTHON_OK)' 2>/dev/null; then exit 0; fi; \
	if [ -z "$(PYTHON)" ] || ! "$(PYTHON)" -c '$(PYTHON_OK)' 2>/dev/null; then \
	  echo "fieldops needs Python $(PYTHON_MIN) or newer and found none (tried python3.13, python3.12, pyenv, python3)." >&2; \
	  echo "Install one (e.g. apt-get install python3.12 python3.12-venv, or pyenv install 3.12), or set PYTHON=/path/to/python3.12" >&2; \
	  exit 1; \
	fi; \
	echo "creating $(VENV) with $(PYTHON) ($$("$(PYTHON)" -c 'import platform; print(platform.python_version())'))"; \
	rm -rf $(VENV) && "$(PYTHON)" -m venv $(VENV)

.PHONY: venv-python-check
venv-python-check:
	@if [ -x $(VENV)/bin/python ] && ! $(VENV)/bin/python -c '$(PYTHON_OK)' 2>/dev/null; then \
	  echo "$(VENV) was made by Python $$($(VENV)/bin/python -c 'import platform; print(platform.python_version())'), older than $(PYTHON_MIN): rebuilding it"; \
	  rm -rf $(VENV); \
	fi

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $@

# The SQLite extension module comes from Debian (libsqlite3-mod-spatialite); installed only when missing.
spatialite:
	@if [ -e /usr/lib/x86_64-linux-gnu/mod_spatialite.so ] \
	   || ldconfig -p 2>/dev/null | grep -q 'mod_spatialite\.so' \
	   || [ -n "$$(find /usr/lib /usr/local/lib -name 'mod_spatialite.so*' 2>/dev/null | head -n 1)" ]; then \
	  exit 0; \
	elif [ "$$(id -u)" = 0 ]; then \
	  echo "installing libsqlite3-mod-spatialite"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libsqlite3-mod-spatialite >/dev/null; \
	else \
	  echo "SpatiaLite is missing; install it as root, then rerun make:" >&2; \
	  echo "  sudo apt-get install libsqlite3-mod-spatialite" >&2; \
	  exit 1; \
	fi

db: venv spatialite
	$(FLASK) db upgrade
	$(FLASK) admin-units load
	$(FLASK) admin-units load-operators

# The field app (field_app/): an npm project bundled by esbuild into field_app/dist (git-ignored), served under
# /app/. Node.js 20+ and npm install its packages from the lock file and build it; rebuilt when a source changes.
APP := field_app
APP_SOURCES := $(shell find $(APP)/src -type f 2>/dev/null) $(APP)/build.mjs
NODE_OK := const [major] = process.versions.node.split("."); process.exit(Number(major) >= 20 ? 0 : 1)

node-check:
	@if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then \
	  echo "The field app needs Node.js 20 or newer with npm, and found none." >&2; \
	  echo "Install them (e.g. apt-get install nodejs npm on Debian 13, or from https://nodejs.org), then rerun make." >&2; \
	  exit 1; \
	elif ! node -e '$(NODE_OK)'; then \
	  echo "The field app needs Node.js 20 or newer; found $$(node --version). Install a newer one, then rerun make." >&2; \
	  exit 1; \
	fi

$(APP)/node_modules/.installed: $(APP)/package.json $(APP)/package-lock.json | node-check
	cd $(APP) && npm ci --no-audit --no-fund
	@touch $@

$(APP)/dist/index.html: $(APP)/node_modules/.installed $(APP_SOURCES)
	cd $(APP) && npm run --silent build

app: $(APP)/dist/index.html

run: db app
	@token="$$($(FLASK) demo load --token-for demo_admin)" && \
	echo "" && \
	echo "fieldops on http://$(HOST):$(PORT) (demo data is SYNTHETIC)" && \
	echo "  API root  http://$(HOST):$(PORT)/api/v1" && \
	echo "  docs      http://$(HOST):$(PORT)/api/v1/docs" && \
	echo "  OpenAPI   http://$(HOST):$(PORT)/api/v1/openapi.json" && \
	echo "  demo admin token (valid 30 days): $$token" && \
	echo "  try: curl -H 'Authorization: Bearer $$token' http://$(HOST):$(PORT)/api/v1/me" && \
	echo "  field app http://$(HOST):$(PORT)/app/  (on a phone: HOST=0.0.0.0, see the README)" && \
	echo "  sign in at http://$(HOST):$(PORT)/login as (user name, password, role):" && \
	$(FLASK) demo sign-ins | sed 's/^/    /' && \
	echo "" && \
	exec $(FLASK) run --host $(HOST) --port $(PORT)

# The field app's unit tests (node's test runner), then pytest: SpatiaLite always; PostGIS too when
# FIELDOPS_TEST_DATABASE_URL names a database (it is passed through). The browser tests use the built app.
# pytest runs in PYTEST_WORKERS processes (pytest-xdist; 0 runs in this process): each has its own databases
# (the PostGIS one is named after FIELDOPS_TEST_DATABASE_URL's plus the worker, e.g. fieldops_test_gw1, made
# and dropped by tests/conftest.py), Redis database numbers and temporary folders. --dist loadfile keeps each
# file in one worker, so module fixtures (browser servers, the OGC data) are built once. Measured figures, before
# and after: BENCHMARKS.md, "The test suite's wall time".
PYTEST_WORKERS ?= 2
PYTEST_DIST ?= loadfile
test: venv spatialite app
	cd $(APP) && npm test
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist $(PYTEST_DIST) $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Extract every message of the code and templates into translations/messages.pot and merge it into the vi and
# en catalogues; then translate the new entries in translations/vi/LC_MESSAGES/messages.po (see GLOSSARY.md).
# The app compiles the catalogues itself when it starts; the tests fail while an entry is missing or fuzzy.
# `t` and `this.t` mark the texts of the field app's form engine (field_app/src/forms), served with the app's.
PYBABEL := $(BIN)/pybabel
translations: venv
	$(PYBABEL) extract -F translations/babel.cfg --no-location --sort-output --omit-header \
	  -k _l -k lazy_gettext -k N_ -k t -k this.t -o translations/messages.pot .
	$(PYBABEL) update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete

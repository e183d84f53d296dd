# The one door: `make run` serves the product on its embedded default, `make test` runs lint and the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
HOST ?= 127.0.0.1:8000
# The targets here are for development: DEBUG on unless the environment says otherwise (settings default to off).
export DEBUG ?= true

.PHONY: run test lint typecheck worker beat bench migrate demo messages clean

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

migrate: $(VENV)/.runtime
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo

run: demo
	@echo "Serving on http://$(HOST)/ (admin at http://$(HOST)/admin/)"
	$(PY) manage.py runserver $(HOST)

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .

# Both cores: one pytest-xdist worker per CPU, each with its own test database. Tests are handed out one by one in
# pytest-django's order (tests that flush the database last), not by file: a file holding both kinds would flush the
# data migrations' rows (partner links) before another file's tests read them.
test: $(VENV)/.dev lint
	$(PY) -m pytest -n auto

worker: $(VENV)/.runtime
	$(VENV)/bin/celery -A config worker --loglevel=INFO

beat: $(VENV)/.runtime
	$(VENV)/bin/celery -A config beat --loglevel=INFO

bench: $(VENV)/.dev
	@echo "Benchmarks live in bench/; run them one by one, e.g. $(PY) bench/matching_quality.py bench/data/bench-dev"

messages: $(VENV)/.runtime
	$(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=staticfiles
	$(PY) manage.py compilemessages -l zh_Hans --ignore=.venv

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache

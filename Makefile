# The everyday verbs. `make run` to try it, `make test` before every commit.
VENV   ?= .venv
PYTHON ?= python3
HOST   ?= 127.0.0.1
PORT   ?= 5000
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
BABEL  := $(BIN)/pybabel
# Every language's catalogue, and the compiled .mo beside it (built here, never committed).
CATALOGUES := $(wildcard translations/*/LC_MESSAGES/messages.po)
COMPILED   := $(CATALOGUES:.po=.mo)
# _l and lazy_gettext are Flask-Babel's lazy forms (form labels); the rest are Babel's defaults.
EXTRACT    := $(BABEL) extract -F babel.cfg -k _l -k lazy_gettext --add-comments=TRANSLATORS: \
	--sort-output --add-location=file --no-wrap --project=campaign --ignore-dirs='.* ._ node_modules build instance'

.PHONY: run test lint format typecheck bench mutate install install-dev clean messages translations new-language

run: install instance/secret_key  ## set up and serve on SQLite, with a mail worker beside the web server
	SECRET_KEY=$$(cat instance/secret_key) $(FLASK) db upgrade
	SECRET_KEY=$$(cat instance/secret_key) $(FLASK) campaigns seed
	SECRET_KEY=$$(cat instance/secret_key) HOST=$(HOST) PORT=$(PORT) FLASK="$(FLASK)" bin/run-local

test: install-dev lint typecheck  ## lint, type-check and run every test
	$(BIN)/pytest

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: install-dev
	$(BIN)/mypy campaign

bench: install-dev  ## the benchmark (see bench/README.md)
	$(BIN)/python -m bench

# The core modules mutation testing covers (docs/testing.md, "Mutation testing"); one run each,
# so a part can be run alone: make mutate MUTATE=campaign.outbox.delivery
MUTATE ?= campaign.signing.services campaign.tokens campaign.outbox.delivery \
	campaign.tallies.services campaign.exports.writer campaign.privacy.retention \
	campaign.privacy.controls campaign.protection.limits

# At the lowest priority and at most MUTATE_JOBS mutants at a time: the machine is shared.
MUTATE_JOBS ?= 2

mutate: install-dev  ## mutation testing of the core (slow: not in CI; see docs/testing.md)
	for module in $(MUTATE); do nice -n 19 $(BIN)/mutmut run --max-children $(MUTATE_JOBS) "$$module.*" || exit 1; done
	nice -n 19 $(BIN)/python bin/mutation-report $(MUTATE)

install: $(VENV)/.installed translations
install-dev: $(VENV)/.installed-dev translations

messages: install  ## extract every translatable text and merge it into each language's catalogue
	mkdir -p build
	$(EXTRACT) -o build/messages.pot .
	$(BABEL) update -i build/messages.pot -d translations --no-wrap --previous --ignore-obsolete
	@echo "Now translate the new and fuzzy entries in translations/*/LC_MESSAGES/messages.po, then: make test"

translations: $(COMPILED)  ## compile the catalogues (.po) into what the app reads (.mo)

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po | $(VENV)/.installed
	$(BABEL) compile -i $< -o $@ -l $*

new-language: install  ## start a catalogue for a new language: make new-language LOCALE=ar
	@test -n "$(LOCALE)" || { echo "usage: make new-language LOCALE=ar"; exit 1; }
	mkdir -p build
	$(EXTRACT) -o build/messages.pot .
	$(BABEL) init -i build/messages.pot -d translations -l $(LOCALE) --no-wrap

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(VENV)/bin/python setup.cfg requirements.lock
	$(BIN)/pip install --quiet -c requirements.lock -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	touch $@

instance/secret_key:
	mkdir -p instance
	$(PYTHON) -c 'import secrets; print(secrets.token_hex(32))' > $@
	chmod 600 $@

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache mutants

# The two commands of the README. Each sets itself up on a fresh machine: a virtual environment in
# .venv with a Python that durable_rules builds on (3.11 or 3.12), then the job.
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= $(shell for p in python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(not (3,11) <= sys.version_info[:2] < (3,13))' 2>/dev/null && { echo $$p; break; }; done)

.PHONY: demo serve test bench clean compiled

# Set-up is quiet: pip's -qq shows errors only (not the setuptools notice about editable installs, nor
# warnings about the machine's own pip configuration); a failure still stops make with pip's message.
$(BIN)/kiyaku: pyproject.toml $(wildcard vendor/durable_rules/*.patch) vendor/durable_rules/install.sh
	@test -n "$(PYTHON)" || { echo "kiyaku needs Python 3.11 or 3.12 (durable_rules does not import on 3.13)"; exit 1; }
	@echo "setting up $(VENV) (Python: $(PYTHON))"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install -qq --upgrade pip
	@# durable_rules with indexes that grow, so that a long history stays linear (vendor/durable_rules)
	@sh vendor/durable_rules/install.sh $(BIN)/python
	@$(BIN)/pip install -qq -e '.[test,compile]'
	@touch $@

# The replay's hottest modules, compiled by mypyc (tools/compile.py): compiled again when their
# sources changed, left as they are (a quick check) when not.
compiled: $(BIN)/kiyaku
	@$(BIN)/python tools/compile.py

demo: compiled
	$(BIN)/kiyaku check
	$(BIN)/kiyaku terms show smacom:17.1.1
	$(BIN)/kiyaku evaluate examples/*/*.jsonl --at 2025-07-10

# The server on a store holding the bundled examples: open http://127.0.0.1:8080/ and sign in with the
# agent token it prints (Ctrl-C stops it and removes the store).
serve: compiled
	$(BIN)/kiyaku serve --demo

test: compiled
	@# The report tests render HTML and print PDFs in headless Chromium, with a Japanese font to embed;
	@# as root, install both when either is missing.
	@{ command -v chromium >/dev/null && fc-list 2>/dev/null | grep -q IPAMincho; } || (test "$$(id -u)" = 0 && export DEBIAN_FRONTEND=noninteractive && \
		{ apt-get install -y --no-install-recommends chromium fonts-ipafont-mincho || \
		  { apt-get update && apt-get install -y --no-install-recommends chromium fonts-ipafont-mincho; }; }) || \
		echo "chromium or fonts-ipafont-mincho is missing and could not be installed: the report tests will fail"
	@# The store tests run a throw-away PostgreSQL 15 server; as root, install it when missing.
	@test -x /usr/lib/postgresql/15/bin/initdb || (test "$$(id -u)" = 0 && export DEBIAN_FRONTEND=noninteractive && \
		{ apt-get install -y --no-install-recommends postgresql-15 || \
		  { apt-get update && apt-get install -y --no-install-recommends postgresql-15; }; }) || \
		echo "PostgreSQL 15 is missing and could not be installed: the store tests on PostgreSQL will fail"
	$(BIN)/python -m pytest -q

bench: compiled
	$(BIN)/python bench/run.py
	$(BIN)/python bench/ask.py

clean:
	rm -rf $(VENV) build *.egg-info engine/replay/*.so engine/replay/compiled.json

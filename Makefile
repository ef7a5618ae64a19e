# fastprobe — the two commands are `make scan` and `make test`; `make setup` is
# what both run first (a virtualenv, Debian's nmap, and the lab's servers).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.setup-done

.PHONY: setup scan test lint rules unit ansible bench lab nmap-role clean

setup: $(STAMP)

$(STAMP): pyproject.toml nornir-fastprobe/pyproject.toml scripts/install-system-deps scripts/install-lab-packages
	scripts/install-system-deps
	scripts/install-lab-packages
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]' -e ./nornir-fastprobe
	touch $@

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# the rule pack (rules/*.probes): lint-clean, and every recorded or built sample named
rules: setup
	$(BIN)/fastprobe rules lint --strict rules/*.probes
	$(BIN)/fastprobe rules test

unit: setup
	$(BIN)/pytest -q

# ansible-test sanity and units on the built collection (scripts/ansible-checks)
ansible: setup
	$(BIN)/python scripts/ansible-checks

test: lint rules unit ansible

scan: setup
	$(BIN)/python scripts/demo-scan

# the nmap role on this machine: Debian's nmap with the timing changes, in build/nmap-role
nmap-role: setup
	$(BIN)/python scripts/build-nmap

bench: setup nmap-role
	$(BIN)/python benchmarks/match_bench.py
	$(BIN)/python benchmarks/silent_port.py
	$(BIN)/python benchmarks/scale.py
	$(BIN)/python benchmarks/lab_bench.py

lab: setup
	$(BIN)/python -m tests.lab --hold 3600

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis

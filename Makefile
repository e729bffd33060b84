# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 3000
HOST   ?= 127.0.0.1
# make run STORE=dynamodb: DynamoDB played by moto_server on 127.0.0.1:$(MOTO_PORT).
STORE     ?= sqlite
MOTO_PORT ?= 5000
TABLE     ?= Books_Table

RUN_STAMP := $(VENV)/.run-installed
AWS_STAMP := $(VENV)/.local-aws-installed
DEV_STAMP := $(VENV)/.dev-installed

# checkov ships its own hcl2 package, which clashes with python-hcl2: it gets a venv of its own.
CHECKOV_VENV  := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
# Lambda zips: architecture and Python of the runtime (infra/terraform variables of the same names).
ARCH          ?= arm64
LAMBDA_PYTHON ?= 3.12
# Terraform takes providers only from the offline mirror named in this file.
export TF_CLI_CONFIG_FILE := $(CURDIR)/infra/terraform.rc

.PHONY: run test check format bench clean package rehearse

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(AWS_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[local-aws]'
	touch $@ $(RUN_STAMP)

# The dev extra holds boto3 and moto[server] too.
$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(RUN_STAMP) $(AWS_STAMP)

## run: install what is needed and serve the API on http://$(HOST):$(PORT)/prod
##      STORE=dynamodb: on a DynamoDB table that moto_server plays on 127.0.0.1:$(MOTO_PORT)
ifeq ($(STORE),sqlite)
run: $(RUN_STAMP)
	$(BIN)/books-api serve --host $(HOST) --port $(PORT)
else ifeq ($(STORE),dynamodb)
run: $(AWS_STAMP)
	$(BIN)/python -m tools.local_dynamodb --port $(MOTO_PORT) --log $(VENV)/moto_server.log -- \
	  serve --host $(HOST) --port $(PORT) --store dynamodb --table $(TABLE) --create-table
else
run:
	$(error STORE must be sqlite or dynamodb, not '$(STORE)')
endif

$(CHECKOV_STAMP):
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -q 'checkov==3.3.30'
	touch $@

## test: install what is needed and run every test (terraform and checkov checks included)
test: $(DEV_STAMP) $(CHECKOV_STAMP)
	$(BIN)/pytest

# Debian's chromium (the /docs browser test) and wrk (bench/gateway.py). apt-get runs only when
# one is missing; a machine that cannot install them fails here rather than skipping tests.
SYSTEM_TOOLS := chromium wrk
.PHONY: system-tools
system-tools:
	@missing=""; for tool in $(SYSTEM_TOOLS); do command -v $$tool >/dev/null || missing="$$missing $$tool"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing (apt-get)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  { $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; } \
	    || { echo "make: could not install$$missing, which the tests and benchmarks need" >&2; exit 1; }; \
	fi
test bench: system-tools

## check: formatting, lint and types
check: $(DEV_STAMP)
	$(BIN)/ruff format --check src tests bench tools
	$(BIN)/ruff check src tests bench tools
	$(BIN)/mypy

format: $(DEV_STAMP)
	$(BIN)/ruff format src tests bench tools
	$(BIN)/ruff check --fix src tests bench tools

## package: build dist/books.zip and dist/authorizer.zip for Lambda (ARCH=arm64|x86_64, LAMBDA_PYTHON=3.12|3.13)
package: $(RUN_STAMP)
	$(BIN)/python -m tools.package --arch $(ARCH) --python $(LAMBDA_PYTHON)

## rehearse: apply the module to moto_server on loopback, read it back, serve it, plan again, destroy
rehearse: $(DEV_STAMP)
	$(BIN)/python -m tools.rehearse --arch $(ARCH) --python $(LAMBDA_PYTHON)

## bench: run the benchmarks and write bench/RESULTS.md
bench: $(DEV_STAMP)
	@for script in bench/authorizer.py bench/gateway.py bench/store.py bench/integrity.py bench/tracing.py bench/capacity.py; do \
	  if [ -f $$script ]; then echo "== $$script"; $(BIN)/python $$script || exit 1; fi; \
	done

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) dist build .cache .pytest_cache .mypy_cache .ruff_cache

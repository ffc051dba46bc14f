# Two commands do everything: `make demo` and `make test`. Both install what is missing first, quietly: one line
# per set-up step taken; the details go to .setup.log, whose tail is shown when a step fails.
.PHONY: setup demo test bench clean
export OMP_THREAD_LIMIT := 1

setup:
	@bash scripts/setup.sh

demo: setup
	@.venv/bin/bt-capture demo --out demo-out

test: setup
	@bash scripts/setup-bench.sh  # the suite runs a smoke pass of the benchmarks (shot-scraper included)
	@.venv/bin/python -m pytest -n 2 --dist loadgroup --durations=30

bench: setup
	@bash scripts/setup-bench.sh
	.venv/bin/python bench/run.py --out docs/benchmarks.md

clean:
	rm -rf demo-out bench-out .pytest_cache

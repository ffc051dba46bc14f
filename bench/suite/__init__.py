"""The benchmark suite run by bench/run.py: one module per benchmark, each returning Markdown sections."""

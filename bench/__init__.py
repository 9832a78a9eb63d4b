"""tui-vault's benchmarks: what users feel, against peers and floors, in one run.

`python -m bench` (or `make bench`) prints one table and writes bench/results.md.
"""

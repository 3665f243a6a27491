"""Bangdai's benchmarks: ``python -m bench all|demo|lists`` (``make bench``, ``make bench-NAME``).

Each benchmark prints a table, writes one record per measured case to bench/results/NAME.json and rewrites its
marked section of docs/benchmarks.md, so the document always shows the latest results.
"""

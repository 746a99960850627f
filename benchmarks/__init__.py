"""Benchmark of the occupancy prediction engine on real homes (not shipped).

Run it with ``script/benchmark``. The data is read from the shared datasets
folder (``--data``); nothing from it is copied into the repository.
"""

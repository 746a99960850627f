"""Pure prediction engine for Occupancy Prediction.

Nothing in this package imports Home Assistant: it takes sensor events with
timezone-aware datetimes and returns plain dataclasses, so it can be tested,
benchmarked and reused without a running Home Assistant.
"""

"""Development tooling for Occupancy Prediction: ``script/develop`` and friends.

Nothing here is shipped with the integration. The package holds the demo
households (real CASAS Aruba data or a synthetic one), the launcher that runs a
real Home Assistant with a replay clock, the dev-only companion integration
``occupancy_demo`` and the orchestration behind ``script/develop``.
"""

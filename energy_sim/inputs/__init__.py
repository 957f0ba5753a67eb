"""Inputs: the scenario file, the data tables and profiles, and the System dataset built from them.

``scenario`` (schema, ``load_scenario``) and ``scenario_io`` (YAML reading) -> ``data`` (the CSV
tables) and ``profiles`` (hourly shapes) -> ``system`` (the System ``xarray.Dataset``) and
``timeseries`` (full year, chronological resampling, representative days).
"""

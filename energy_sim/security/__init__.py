"""Security: Monte Carlo adequacy (``adequacy``), stress-test transforms of a System (``stress``)
and sweeps over many scenarios (``sweep``), all operating systems with the dispatch core.
"""

"""``python -m energy_sim.cli``: the ``energy-sim`` command."""

from energy_sim.cli import app

app()

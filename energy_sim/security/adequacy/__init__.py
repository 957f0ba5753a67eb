"""Monte Carlo adequacy: sample outages, weather, hydro and demand years; LOLE, EUE, verdicts.

One sample is one year of operation of a fixed plan with random forced outages, weather, hydro
and demand (:mod:`~energy_sim.security.adequacy.sampling` gives the processes). The dispatch core
(:func:`energy_sim.operation.dispatch`) operates each sample; :func:`assess` turns the per-sample
unserved energy into LOLE, EUE, LOLP and normalised EUE with standard errors and checks the
Resolution 70 indicators. Random numbers come from
``np.random.SeedSequence(seed, spawn_key=(chunk,))`` per chunk of samples, so a chunk gives
identical numbers whether it runs first, last, serially or on a Dask worker.

Modules: :mod:`~energy_sim.security.adequacy.options` (:class:`AdequacyOptions`),
:mod:`~energy_sim.security.adequacy.sampling` (the random draws), :mod:`~energy_sim.security.adequacy.capacities`
(the plan), :mod:`~energy_sim.security.adequacy.run` (chunks and :func:`assess`),
:mod:`~energy_sim.security.adequacy.metrics` (:func:`summarise`), :mod:`~energy_sim.security.adequacy.summary`
(:func:`assessment_summary`) and :mod:`~energy_sim.security.adequacy.io` (:func:`write_assessment`).
"""

from __future__ import annotations

from energy_sim.security.adequacy.capacities import (
    lng_tank_days,
    load_plan,
    plan_capacities,
    reserve_margin,
)
from energy_sim.security.adequacy.io import write_assessment
from energy_sim.security.adequacy.metrics import summarise
from energy_sim.security.adequacy.options import SHED_THRESHOLD_MW, WEATHER_TECHS, AdequacyOptions
from energy_sim.security.adequacy.run import assess, combine_chunks, run_chunk
from energy_sim.security.adequacy.sampling import (
    chunk_seed,
    sample_chunk,
    sample_outages,
    transition_probabilities,
    unit_counts,
)
from energy_sim.security.adequacy.summary import assessment_summary

__all__ = [
    "SHED_THRESHOLD_MW",
    "WEATHER_TECHS",
    "AdequacyOptions",
    "assess",
    "assessment_summary",
    "chunk_seed",
    "combine_chunks",
    "lng_tank_days",
    "load_plan",
    "plan_capacities",
    "reserve_margin",
    "run_chunk",
    "sample_chunk",
    "sample_outages",
    "summarise",
    "transition_probabilities",
    "unit_counts",
    "write_assessment",
]

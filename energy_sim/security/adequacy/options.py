"""What an adequacy sample draws and the standards its verdicts check (all assumptions)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_OPTIONS", "SHED_THRESHOLD_MW", "WEATHER_TECHS", "AdequacyOptions"]

#: Loss of load is counted in hours whose shed exceeds this (MW), as the dispatch core does.
SHED_THRESHOLD_MW = 0.1
WEATHER_TECHS = ("solar_utility", "solar_rooftop", "wind_onshore", "wind_offshore")


@dataclass(frozen=True)
class AdequacyOptions:
    """What a sample draws, and the standards a verdict checks (all assumptions, all settable).

    Attributes
    ----------
    outages
        Sample forced outages (two-state Markov chain per unit).
    weather_shift_days
        Solar and wind profiles shift by a uniform whole number of days in ``[-x, x]``.
    weather_sigma
        Daily lognormal noise on solar and wind output (sigma of the log).
    dry_probability, dry_factor
        Chance of a dry hydro year and its hydro energy factor (assumption: one year in five,
        75% of normal; the 2023 northern drought was ~50% in April-May, see the drought test).
    demand_sigma
        Sigma of the lognormal demand scale (mean 1).
    gaussian_threshold
        Groups with ``n*FOR*(1-FOR)`` above this use the Gaussian AR(1) approximation of the
        count of units out (same mean, variance and hour-to-hour correlation); smaller groups
        are simulated exactly.
    lole_standard_h
        Reliability standard for LOLE (assumption: 3 h/yr, as in Great Britain; Vietnam
        publishes none).
    eue_standard_ppm
        Standard for normalised EUE (assumption: 20 ppm = 0.002% of demand, Australia's).
    screen
        Operate every sample with the adequacy screen first and the full dispatch core only
        where the screen cannot prove that no load is lost (:mod:`energy_sim.operation.screen`;
        exact for LOLE and EUE, much faster). False runs the full core on every sample.
    """

    outages: bool = True
    weather_shift_days: int = 15
    weather_sigma: float = 0.1
    dry_probability: float = 0.2
    dry_factor: float = 0.75
    demand_sigma: float = 0.03
    gaussian_threshold: float = 3.0
    lole_standard_h: float = 3.0
    eue_standard_ppm: float = 20.0
    screen: bool = True


#: The defaults (a frozen instance, shared as the default argument of the sampling functions).
DEFAULT_OPTIONS = AdequacyOptions()

"""Time to generate every hourly profile of the six bundled regions, and to aggregate a year.

Run: ``python benchmarks/bench_profiles.py [--year 2030] [--seed 2030]``. Target: all profiles
well under 3 s on a 2-core machine (pvlib's import, ~0.4 s, is timed separately).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

DATA = Path(__file__).resolve().parents[1] / "data" / "vietnam"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=2030)
    parser.add_argument("--seed", type=int, default=2030)
    args = parser.parse_args()

    t0 = time.perf_counter()
    import pvlib  # noqa: F401

    from energy_sim.inputs import profiles as P
    from energy_sim.inputs import timeseries as T

    print(f"import pvlib + energy_sim.inputs.profiles: {time.perf_counter() - t0:.2f} s")
    reg = pd.read_csv(DATA / "regions.csv").set_index("region")
    regions = list(reg.index)
    lat, lon = reg["latitude"].to_dict(), reg["longitude"].to_dict()
    y, s = args.year, args.seed
    steps = {
        "demand": lambda: P.demand_shape(regions, lat, y, s),
        "solar utility": lambda: P.solar_cf(regions, lat, lon, y, s, reg["solar_utility_cf"]),
        "solar rooftop": lambda: P.solar_cf(
            regions, lat, lon, y, s, reg["solar_rooftop_cf"], kind="rooftop"
        ),
        "wind onshore": lambda: P.wind_cf(regions, y, s, reg["wind_onshore_cf"]),
        "wind offshore": lambda: P.wind_cf(regions, y, s, reg["wind_offshore_cf"], offshore=True),
        "run-of-river": lambda: P.ror_profile(
            pd.DataFrame({r: np.full(12, 0.45) for r in regions}, index=range(1, 13)), y, s
        ),
    }
    out, total = {}, 0.0
    for name, fn in steps.items():
        t = time.perf_counter()
        out[name] = fn()
        dt = time.perf_counter() - t
        total += dt
        print(f"{name:15s} {dt:6.3f} s")
    print(f"{'all profiles':15s} {total:6.3f} s")

    idx = P.year_index(y)
    system = xr.Dataset(
        {
            "dt_h": ("time", np.ones(8760)),
            "weight": ("time", np.ones(8760)),
            "month_of": ("time", idx.month.to_numpy()),
            "block": ("time", np.zeros(8760, dtype=int)),
            "demand_mw": (("region", "time"), out["demand"].to_numpy().T),
            "availability": (
                ("gen", "time"),
                np.vstack([out[k].to_numpy().T for k in ("solar utility", "wind onshore")]),
            ),
        },
        coords={"region": regions, "timestamp": ("time", idx)},
    )
    for res in ("4h", "24d", "96d"):
        t = time.perf_counter()
        T.aggregate(system, res)
        print(f"aggregate {res:5s} {time.perf_counter() - t:6.3f} s")


if __name__ == "__main__":
    main()

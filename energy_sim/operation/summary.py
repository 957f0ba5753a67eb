"""Annual summary of a dispatch run (for the CLI) and its atomic NetCDF output."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr


def summary_tables(res: xr.Dataset) -> dict[str, pd.DataFrame]:
    """Means over samples: ``totals`` (cost, unserved energy, LOLE), ``generation`` by
    technology (TWh, share) and ``corridors`` (utilisation, losses)."""
    mean = res.mean("sample") if "sample" in res.dims else res
    cost = mean["cost_usd"].to_series()
    demand = float((res["demand_mw"].sum("region") * res["weight"] * res["dt_h"]).sum())
    unserved = float(mean["unserved_energy_mwh"].sum())
    totals = pd.DataFrame(
        {
            "value": [
                float(cost.get("operating", np.nan)) / 1e9,
                float(cost.get("unserved_energy", np.nan)) / 1e9,
                unserved / 1e6,
                unserved / demand * 1e6 if demand > 0 else np.nan,
                float(mean["loss_of_load_hours_system"]),
                float(res.sizes.get("sample", 1)),
            ]
        },
        index=pd.Index(
            [
                "operating cost (bn USD)",
                "unserved energy cost (bn USD)",
                "unserved energy (TWh)",
                "unserved energy (ppm of demand)",
                "loss of load (h/yr)",
                "samples",
            ],
            name="annual",
        ),
    )
    gen = mean["generation_mwh"].groupby("gen_tech").sum().to_series() / 1e6
    generation = pd.DataFrame({"twh": gen, "share": gen / gen.sum() if gen.sum() else gen})
    generation.index.name = "technology"
    generation = generation[generation["twh"] > 0].sort_values("twh", ascending=False)
    corridors = pd.DataFrame(
        {
            "capacity_mw": res["corridor_capacity_mw"].to_series(),
            "utilisation": mean["corridor_utilisation"].to_series(),
            "loss_gwh": mean["corridor_loss_mwh"].to_series() / 1e3,
        }
    )
    corridors.index.name = "corridor"
    return {"totals": totals, "generation": generation, "corridors": corridors}


def print_summary(res: xr.Dataset) -> None:
    """Print :func:`summary_tables` with rich."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    fmts = {
        "share": ".1%",
        "utilisation": ".1%",
        "twh": ",.2f",
        "loss_gwh": ",.1f",
        "capacity_mw": ",.0f",
    }
    for title, frame in summary_tables(res).items():
        table = Table(title=f"Dispatch: {title}", title_justify="left")
        table.add_column(frame.index.name or "")
        for col in frame.columns:
            table.add_column(col, justify="right")
        for key, row in frame.iterrows():
            default = ",.0f" if key == "samples" else ",.3f"
            table.add_row(
                str(key), *(format(float(row[c]), fmts.get(c, default)) for c in frame.columns)
            )
        console.print(table)


def write_dispatch(res: xr.Dataset, out_dir: str | Path, name: str = "dispatch.nc") -> Path:
    """Write ``res`` to ``out_dir/name`` through a temporary file in the same folder, with the
    mode the user's umask gives a new file (:func:`energy_sim.outputs.atomic_write`)."""
    from energy_sim.outputs import atomic_write

    ds = res.copy()
    for c in ds.coords:  # a datetime coordinate must not carry a 'units' attribute in NetCDF
        if np.issubdtype(ds[c].dtype, np.datetime64):
            ds[c].attrs.pop("units", None)
    return atomic_write(Path(out_dir) / name, lambda tmp: ds.to_netcdf(tmp, engine="h5netcdf"))

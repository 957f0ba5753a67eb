"""The effect of Resolution 70's security levers (issue 14) on the 2030 plan: each lever on and off.

Plans the 2030 scenario (``energy-sim run``) and assesses it (``energy-sim assess --samples N``)
for each variant below, then prints a Markdown table (docs/levers.md holds the last one):
total cost, new capacity, regional reserve margins, LNG days of cover, LOLE and EUE.

    python benchmarks/levers_effect.py --samples 200 --out /tmp/levers

Variants (``--set`` overrides of the bundled scenarios):

- ``base``: ``pdp8_2030`` as bundled (levers at their defaults: the LNG reserve may be drawn,
  T&D losses at the 2022 rate, so demand is the published one);
- LNG reserve (lever 1) under ``stress_lng_cutoff`` (Thi Vai/Cai Mep cut off for 30 days from
  1 June): the *base plan* operated with the reserve locked (``reserves.lng_refill_days=0``, the
  rule before issue 14: the floor back at once after the window) and drawn (default); then a plan
  *made* under the cut-off, locked and drawn;
- grid losses (lever 2): ``grid_losses.rate=0.05`` (an illustrative 2030 rate: no published
  target was found) against the base's 6.24%;
- coal stockpiles (lever 3) under ``stress_coal_shortfall`` (coal supply x 0.7 all year): the
  base plan with the shortfall as a plant derate (no yards, the rule without stocks) and as a
  delivery cut with 15-day yards (``reserves.coal``: the stock lets the plants run at full load
  at the peaks and catch up off-peak), and a plan made with the yards;
- demand response (lever 4): ``pdp8_2030_dsm`` (illustrative: 3% of demand shiftable within
  the day, 1 GW of interruptible contracts in the North and in the South counted in the
  reserve margin), the plan operated with its DR and without it (the contracts not delivered),
  and under ``stress_heatwave`` (demand +10% for 21 days from 1 June): the base plan, the DSM
  plan without and with its DR.

Plans and assessments already in ``--out`` (same sample count) are reused.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASE = "scenarios/pdp8_2030.yaml"
CUT = "scenarios/stress_lng_cutoff.yaml"
LOCKED = ["reserves.lng_refill_days=0"]
LOSS = ["grid_losses.rate=0.05"]
COAL_CUT = "scenarios/stress_coal_shortfall.yaml"
YARDS = ["reserves.coal={stock_days: 15}"]
DSM = "scenarios/pdp8_2030_dsm.yaml"
HEAT = "scenarios/stress_heatwave.yaml"
#: pdp8_2030_dsm's demand response, for assessments of other scenarios (keep in step)
DSM_SET = [
    "demand_response={shift_share: 0.03, shift_mw: 500, shift_cost_usd_per_mwh: 5, "
    "ilc_mw: {north: 1000, south: 1000}, ilc_mwh: {north: 50000, south: 50000}, "
    "ilc_price_usd_per_mwh: 500}"
]

#: name -> (plan scenario, plan overrides, assessment scenario, assessment overrides, plan key)
VARIANTS = {
    "base": (BASE, [], BASE, [], "base"),
    "base plan, LNG cut-off, reserve locked": (BASE, [], CUT, LOCKED, "base"),
    "base plan, LNG cut-off, reserve drawn": (BASE, [], CUT, [], "base"),
    "cut-off plan, reserve locked": (CUT, LOCKED, CUT, LOCKED, "cut_locked"),
    "cut-off plan, reserve drawn": (CUT, [], CUT, [], "cut_drawn"),
    "T&D losses 5.0% (base 6.24%)": (BASE, LOSS, BASE, LOSS, "loss5"),
    "base plan, coal shortfall, no yards": (BASE, [], COAL_CUT, [], "base"),
    "base plan, coal shortfall, 15-day yards": (BASE, [], COAL_CUT, YARDS, "base"),
    "yards plan (15 d), coal shortfall": (BASE, YARDS, COAL_CUT, YARDS, "yards"),
    "DSM plan (3% shift, 2 GW ILC)": (DSM, [], DSM, [], "dsm"),
    "DSM plan, no DR delivered": (DSM, [], BASE, [], "dsm"),
    "base plan, heatwave": (BASE, [], HEAT, [], "base"),
    "DSM plan, heatwave, no DR delivered": (DSM, [], HEAT, [], "dsm"),
    "DSM plan, heatwave, DR": (DSM, [], HEAT, DSM_SET, "dsm"),
}


#: Variants whose sample years shed load: assessed with ``--shedding-samples``.
SHEDDING = {"base plan, coal shortfall, no yards"}


def _sets(overrides: list[str]) -> list[str]:
    return [x for o in overrides for x in ("--set", o)]


def _cli(args: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(["energy-sim", *args, "--quiet"], cwd=ROOT, check=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--out", type=Path, default=Path("/tmp/levers"))
    ap.add_argument(
        "--shedding-samples",
        type=int,
        default=200,
        help="sample years for the variants whose years shed (the full core, ~1-3 s a year)",
    )
    ap.add_argument("--only", nargs="*", help="variant names to run (default: all)")
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    plans: dict[str, Path] = {}
    rows = []
    for name, (p_scn, p_set, a_scn, a_set, key) in VARIANTS.items():
        if a.only and name not in a.only:
            continue
        run = a.out / key
        if key not in plans:
            if not (run / "kpis.json").is_file():
                s = _cli(["run", p_scn, *_sets(p_set), "--out", str(run), "--accept-shortfall"])
                print(f"plan {key}: {s:.1f} s", flush=True)
            plans[key] = run
        k = json.loads((run / "kpis.json").read_text())
        n = a.shedding_samples if name in SHEDDING else a.samples
        folder = a.out / ("assess_" + "".join(c if c.isalnum() else "_" for c in name))
        done = folder / "assessment.json"
        s = float("nan")
        if done.is_file() and json.loads(done.read_text()).get("n_samples") == n:
            s = (
                json.loads((folder / "seconds.json").read_text())
                if (folder / "seconds.json").is_file()
                else s
            )
        else:
            s = _cli(
                ["assess", a_scn, *_sets(a_set), "--plan", str(run / "results.nc"),
                 "--samples", str(n), "--out", str(folder)]
            )  # fmt: skip
            (folder / "seconds.json").write_text(json.dumps(s))
            print(f"assess {name}: {s:.1f} s", flush=True)
        adq = json.loads(done.read_text())
        rows.append((name, k, adq, s))
    print(table(rows, a.samples))


def _num(d: dict, *path: str) -> float:
    for p in path:
        d = d.get(p, {}) if isinstance(d, dict) else {}
    return float(d) if isinstance(d, int | float) else float("nan")


def table(rows, samples: int) -> str:
    regions = list(rows[0][1]["reserve_margin_by_region"]) if rows else []
    hubs = list(rows[0][1]["lng_days_of_cover_by_hub"]) if rows else []
    head = (
        ["variant", "total cost (bn USD/yr)", "new capacity (GW)", "T&D loss rate"]
        + [f"margin {r}" for r in regions]
        + [f"LNG cover {h} (d)" for h in hubs]
        + ["coal stock, lowest (d)", "DR shifted / interrupted (GWh)"]
        + ["sample years", "LOLE (h/yr)", "EUE (GWh/yr)", "assess s"]
    )
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, k, adq, s in rows:
        new = sum(v for v in k["new_capacity_mw"].values() if v) / 1e3
        cells = [
            name,
            f"{k['total_cost_usd'] / 1e9:.3f}",
            f"{new:.1f}",
            f"{100 * k.get('td_loss_rate', float('nan')):.2f}%",
        ]
        cells += [f"{100 * (k['reserve_margin_by_region'][r] or 0):.1f}%" for r in regions]
        cells += [
            "—"
            if k["lng_days_of_cover_by_hub"][h] is None
            else f"{k['lng_days_of_cover_by_hub'][h]:.1f}"
            for h in hubs
        ]
        lole, lole_se = _num(adq, "lole_h"), _num(adq, "lole_h_se")
        eue, eue_se = _num(adq, "eue_mwh"), _num(adq, "eue_mwh_se")
        coal_days = k.get("coal_stock_days")
        cells.append("—" if coal_days is None else f"{coal_days:.1f}")
        shifted, cut = k.get("dr_shifted_mwh", 0.0), k.get("dr_interrupted_mwh", 0.0)
        cells.append(f"{shifted / 1e3:,.0f} / {cut / 1e3:,.0f}" if shifted or cut else "—")
        cells += [
            str(adq.get("n_samples", "")),
            f"{lole:.2f} ± {lole_se:.2f}",
            f"{eue / 1e3:.2f} ± {eue_se / 1e3:.2f}",
            f"{s:.0f}",
        ]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


if __name__ == "__main__":
    main()

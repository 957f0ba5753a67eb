"""Run folders a planner can trust (issue 15): outputs checked before the work, one writer per
folder, the user's umask, provenance in every file, files that know their plan, results named
by their parameters, and the small CLI items (--version, --set, help texts)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import xarray as xr
from analysis_data import make_pair, write_run
from test_cli_errors import check_one_line_error
from typer.testing import CliRunner

from energy_sim.analysis.compare import adequacy_table
from energy_sim.analysis.runs import load_run, read_assessments
from energy_sim.cli import app
from energy_sim.errors import InputError
from energy_sim.inputs.stress import validate_stress
from energy_sim.outputs import atomic_write, check_file, check_folder, folder_lock
from energy_sim.security.stress import output_stem, stress_label

REPO = Path(__file__).resolve().parent.parent
SCENARIO = REPO / "scenarios" / "pdp8_2030.yaml"
runner = CliRunner()

SUMMARY = {"name": "adequacy", "lole_h": 2.5, "lole_h_se": 0.4, "eue_mwh": 1200.0}
LNG = {"name": "lng_disruption", "lole_h": 9.0, "eue_mwh": 5e4}


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.fixture
def umask_027():
    old = os.umask(0o027)
    yield
    os.umask(old)


# ------------------------------------------------------------------ defect 1: file modes


def test_atomic_write_gives_the_umask_mode_not_0600(tmp_path, umask_027):
    path = atomic_write(tmp_path / "sub" / "a.json", lambda p: p.write_text("{}"))
    assert mode(path) == 0o640
    os.umask(0o022)
    assert mode(atomic_write(tmp_path / "b.json", lambda p: p.write_text("{}"))) == 0o644
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["a.json"]  # no temp file left


def test_run_compare_and_report_files_are_group_readable(tmp_path, umask_027):
    from energy_sim.planning.results import write_results

    results, system = make_pair("low")
    nc, js = write_results(results, tmp_path / "low", {"status": "optimal"})
    assert (mode(nc), mode(js)) == (0o640, 0o640)
    folder = write_run(tmp_path / "run", results, system)
    fig, csv, html = tmp_path / "c.png", tmp_path / "c.csv", tmp_path / "d.html"
    assert (
        runner.invoke(app, ["compare", str(folder), "-o", str(fig), "--csv", str(csv)]).exit_code
        == 0
    )
    assert runner.invoke(app, ["report", str(folder), "-o", str(html), "-q"]).exit_code == 0
    assert [mode(p) for p in (fig, csv, html)] == [0o640] * 3


# --------------------------------------------- defect 2: the output place, before the work


@pytest.mark.parametrize("command", ["run", "assess", "stress", "dispatch"])
def test_an_output_folder_that_is_a_file_is_refused_at_once(tmp_path, command):
    blocker = tmp_path / "taken"
    blocker.write_text("a file")
    extra = ["--test", "heatwave"] if command == "stress" else []
    started = time.monotonic()
    result = runner.invoke(app, [command, str(SCENARIO), "--out", str(blocker), *extra])
    assert time.monotonic() - started < 10  # the solve / Monte Carlo took 30 s and more
    check_one_line_error(result.exit_code, result.stdout, result.stderr, "--out", str(blocker))
    assert blocker.read_text() == "a file"


def test_figure_and_dashboard_places_are_checked_before_reading_runs(tmp_path):
    (tmp_path / "dir.png").mkdir()
    result = runner.invoke(
        app, ["compare", str(tmp_path / "none"), "-o", str(tmp_path / "dir.png")]
    )
    check_one_line_error(result.exit_code, result.stdout, result.stderr, "--output", "folder")
    result = runner.invoke(
        app, ["report", str(tmp_path / "none"), "-o", str(tmp_path / "f.txt" / "d.html")]
    )
    assert result.exit_code == 2


def test_no_permission_is_one_line_naming_the_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "access", lambda *_a, **_k: False)  # as a non-root user would see
    with pytest.raises(InputError, match="no permission") as err:
        check_folder(tmp_path / "new" / "deeper")
    assert err.value.field == "--out" and str(tmp_path) in err.value.render()
    with pytest.raises(InputError, match="no permission"):
        check_file(tmp_path / "x.html", "--output")


def test_an_os_error_while_writing_is_one_line_not_a_traceback(tmp_path, monkeypatch):
    def refuse(*_a, **_k):
        raise PermissionError(13, "Permission denied", str(tmp_path / "d.html"))

    folder = write_run(tmp_path / "run", *make_pair("low"))
    monkeypatch.setattr("energy_sim.analysis.report.write_report", refuse)
    result = runner.invoke(app, ["report", str(folder), "-o", str(tmp_path / "d.html")])
    check_one_line_error(result.exit_code, result.stdout, result.stderr, "Permission denied")


# ----------------------------------------------------- defect 12: one writer per folder


def test_a_second_command_into_a_locked_folder_is_refused(tmp_path):
    out = tmp_path / "run"
    with folder_lock(out):
        result = runner.invoke(app, ["run", str(SCENARIO), "--out", str(out)])
        check_one_line_error(result.exit_code, result.stdout, result.stderr, "another", str(out))
    with folder_lock(out):  # released: the next command may write
        pass


def test_a_failed_command_removes_the_folder_it_created(tmp_path):
    with pytest.raises(RuntimeError), folder_lock(tmp_path / "new"):
        raise RuntimeError("solve failed")
    assert not (tmp_path / "new").exists()


# ------------------------------------------------- defect 4: a summary named 'adequacy'


def test_adequacy_table_keeps_every_result_whatever_their_names():
    table = adequacy_table({"adequacy": SUMMARY, "lng_disruption": LNG}, by="stress")
    assert list(table.index) == ["adequacy", "lng_disruption"]
    assert table.loc["lng_disruption", "lole_h"] == 9.0
    single = adequacy_table(SUMMARY)  # one summary on its own is still one row
    assert len(single) == 1 and single.iloc[0]["lole_h"] == 2.5
    nested = adequacy_table({"adequacy": SUMMARY})  # a name -> summary mapping of one
    assert list(nested.index) == ["adequacy"]


def test_float_residue_in_a_summary_reads_as_zero():
    table = adequacy_table({"adequacy": {**SUMMARY, "eue_mwh": 3.03e-10}})
    assert table.loc["adequacy", "eue_mwh"] == 0.0


# ------------------------------------------- defect 6: files know which plan they belong to


def _folder_with(tmp_path: Path, run_id: str, plan_id: str) -> Path:
    results, system = make_pair("low")
    results.attrs["run_id"] = run_id
    stale = {**SUMMARY, "provenance": {"plan_run_id": plan_id}}
    return write_run(tmp_path / "run", results, system, stale)


def test_an_assessment_of_another_plan_is_left_out_and_said(tmp_path):
    folder = _folder_with(tmp_path, "new-plan", "old-plan")
    run = load_run(folder)
    assert run.assessments == {}
    assert len(run.warnings) == 1 and "another plan" in run.warnings[0]
    result = runner.invoke(app, ["report", str(folder), "-o", str(tmp_path / "d.html"), "-q"])
    assert result.exit_code == 0
    assert "assessment.json was made for another plan" in result.stderr
    html = (tmp_path / "d.html").read_text()
    assert "made for another plan" in html and "LOLE, adequacy" not in html


def test_an_assessment_of_this_plan_is_used(tmp_path):
    run = load_run(_folder_with(tmp_path, "plan-1", "plan-1"))
    assert set(run.assessments) == {"adequacy"} and run.warnings == []


# --------------------------------------------- defect 7: stress results named by parameters


def test_stress_runs_with_other_parameters_get_other_files():
    june = validate_stress([{"test": "lng_disruption", "start": "2030-06-01", "hubs": "south"}])
    july = validate_stress([{"test": "lng_disruption", "start": "2030-07-01", "hubs": "south"}])
    assert output_stem(june) != output_stem(july)
    assert output_stem(june) == "stress_lng_disruption_start-2030-06-01_hubs-south"
    assert output_stem(june) == output_stem(list(june))  # same parameters, same name
    assert stress_label(june[0]) == "lng_disruption(start=2030-06-01, hubs=south)"
    long = validate_stress([{"test": "heatwave", "increase": 0.01 * i} for i in range(1, 30)])
    assert len(output_stem(long)) <= 120 and re.search(r"_[0-9a-f]{8}$", output_stem(long))


def test_two_summaries_of_one_name_are_both_kept(tmp_path):
    for stem in ("stress_a", "stress_b"):
        (tmp_path / f"{stem}.json").write_text(json.dumps({**LNG, "name": "lng_disruption"}))
    assert set(read_assessments(tmp_path)) == {"stress_a", "stress_b"}


# ----------------------------------------------------------------- defect 15: small ones


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and re.fullmatch(r"energy-sim \d+\.\d+\S*\n", result.stdout)


def test_help_texts_say_the_seed_default_and_the_test_keys():
    from energy_sim.cli.operation import TEST_KEYS
    from energy_sim.inputs.stress import REGISTRY

    wide = {"COLUMNS": "200"}
    dispatch_help = runner.invoke(app, ["dispatch", "--help"], env=wide).stdout
    assert "default: the scenario's seed" in " ".join(dispatch_help.split())
    stress_help = " ".join(runner.invoke(app, ["stress", "--help"], env=wide).stdout.split())
    for name, (model, _f) in REGISTRY.items():  # TEST_KEYS is the registry, written out
        keys = ", ".join(k for k in model.model_fields if k != "test")
        assert f"{name} ({keys})" in TEST_KEYS
        assert name in stress_help


def test_set_overrides_reach_the_scenario_and_bad_ones_are_one_line(tmp_path):
    from energy_sim.cli.common import parse_sets

    assert parse_sets(["resolution=24d", "policies.clean_share=0.5", "seed=7"]) == {
        "resolution": "24d",
        "policies.clean_share": 0.5,
        "seed": 7,
    }
    result = runner.invoke(app, ["validate", str(SCENARIO), "--set", "resolution=24d"])
    assert result.exit_code == 0, result.output
    assert "resolution 24d" in result.stdout
    bad = runner.invoke(app, ["validate", str(SCENARIO), "--set", "policies.clean_share=1.5"])
    check_one_line_error(bad.exit_code, bad.stdout, bad.stderr, "clean_share", "override")
    bad = runner.invoke(app, ["run", str(SCENARIO), "--set", "resolution"])
    check_one_line_error(bad.exit_code, bad.stdout, bad.stderr, "--set", "KEY=VALUE")


def test_validate_tables_fit_80_columns():
    result = runner.invoke(app, ["validate", str(SCENARIO)], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    widest = max(len(line) for line in result.stdout.splitlines())
    assert widest <= 80, widest


# ------------------------------- a real run folder: provenance (11), highs.log (15), dispatch (8)


@pytest.fixture(scope="module")
def real_run(tmp_path_factory) -> Path:
    """``energy-sim run`` of the 2030 scenario under umask 027, then ``dispatch`` and ``assess``
    with two samples each, all into the plan's folder by default."""
    root = tmp_path_factory.mktemp("real")
    out = root / "pdp8_2030"

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "energy_sim.cli", *args],
            cwd=root, capture_output=True, text=True, preexec_fn=lambda: os.umask(0o027),
        )  # fmt: skip

    done = cli("run", str(SCENARIO), "--out", str(out), "-q")
    assert done.returncode == 0, done.stderr
    plan = str(out / "results.nc")
    done = cli("dispatch", str(SCENARIO), "--plan", plan, "--samples", "2")
    assert done.returncode == 0, done.stderr
    done = cli("assess", str(SCENARIO), "--plan", plan, "--samples", "2", "-q")
    assert done.returncode == 0, done.stderr
    assert "not converged: fewer than 30 samples" in " ".join(done.stdout.split())
    assert sorted(p.name for p in root.iterdir()) == ["pdp8_2030"]  # nothing in the cwd
    return out


@pytest.mark.slow
def test_every_file_of_a_run_folder_says_where_it_came_from(real_run):
    from energy_sim.inputs.scenario import load_scenario
    from energy_sim.outputs import package_version

    names = sorted(p.name for p in real_run.iterdir() if not p.name.startswith("."))
    assert names == [
        "assessment.json", "assessment.nc", "dispatch.nc", "highs.log", "kpis.json", "results.nc"
    ]  # fmt: skip
    for name in ("assessment.json", "assessment.nc", "highs.log", "kpis.json", "results.nc"):
        assert mode(real_run / name) == 0o640, name
    res = xr.open_dataset(real_run / "results.nc")
    run_id = res.attrs["run_id"]
    assert res.attrs["energy_sim_version"] == package_version()
    assert int(res.attrs["seed"]) == 2030
    assert "run" in res.attrs["command"] and str(SCENARIO) in res.attrs["command"]
    again = real_run.parent / "again.yaml"
    again.write_text(res.attrs["scenario_yaml"])
    whole = {"exclude": {"source_file"}}  # the resolved scenario, whole, but where it was read
    assert load_scenario(again).model_dump(**whole) == load_scenario(SCENARIO).model_dump(**whole)
    again.unlink()
    kpis = json.loads((real_run / "kpis.json").read_text())
    assert kpis["provenance"]["run_id"] == run_id
    assert kpis["provenance"]["scenario_sha256"] == res.attrs["scenario_sha256"]
    log = (real_run / "highs.log").read_text()
    assert f"# run_id: {run_id}" in log and "HiGHS" in log and "Model status" in log
    disp = xr.open_dataset(real_run / "dispatch.nc")
    assert disp.attrs["plan_run_id"] == run_id and int(disp.attrs["seed"]) == 2030
    summary = json.loads((real_run / "assessment.json").read_text())
    assert summary["provenance"]["plan_run_id"] == run_id
    assert summary["provenance"]["plan_file"] == str(real_run / "results.nc")
    assert summary["convergence"]["converged"] is False  # 2 samples never converge
    run = load_run(real_run)
    assert run.warnings == [] and run.dispatch is not None and "adequacy" in run.assessments


# ------------------------------------------------------------------- defect 3: Ctrl-C


@pytest.mark.slow
def test_ctrl_c_during_a_solve_stops_within_about_a_second_and_writes_nothing(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "energy_sim.cli", "run", str(SCENARIO), "--resolution", "8h",
         "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # a shell's background job ignores SIGINT, and a child inherits that: not here
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    time.sleep(15)  # building takes ~5 s, the 8-hour solve over a minute
    assert proc.poll() is None
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    line = proc.stderr.readline()
    said = time.monotonic() - sent
    proc.wait(timeout=30)
    assert said < 1.0, said
    assert line.startswith("interrupted (Ctrl-C)"), line
    assert proc.returncode == 130
    assert "Traceback" not in proc.stderr.read()
    assert not out.exists()


# ------------------------------------------- defect 14: empty scenario, default resolution


@pytest.mark.parametrize("text", ["", "# only a comment\n", "{}\n"])
def test_an_empty_scenario_file_is_a_mistake(tmp_path, text):
    path = tmp_path / "empty.yaml"
    path.write_text(text)
    for command in ("validate", "run"):
        result = runner.invoke(
            app, [command, str(path), "--out", str(tmp_path / "o")][: 2 + 2 * (command == "run")]
        )
        check_one_line_error(result.exit_code, result.stdout, result.stderr, str(path), "empty")
    assert not (tmp_path / "o").exists()


def test_a_scenario_without_resolution_gets_the_recommended_24_days(tmp_path):
    from energy_sim.inputs.scenario import load_scenario

    path = tmp_path / "plain.yaml"
    path.write_text("year: 2030\n")
    assert load_scenario(path).resolution == "24d"


# ------------------------------------------------------ defect 10: absurd demand CSV scale


def _demand_csv(tmp_path: Path, mw: float) -> Path:
    regions = [
        "north", "north_central", "central_central", "central_highlands", "south_central", "south"
    ]  # fmt: skip
    csv = tmp_path / "demand.csv"
    row = ",".join([str(mw)] * len(regions))
    csv.write_text(",".join(regions) + "\n" + (row + "\n") * 8760)
    scn = tmp_path / "scn.yaml"
    scn.write_text(f"extends: {SCENARIO}\nprofiles:\n  demand: {csv}\n")
    return scn


def test_a_demand_csv_far_from_the_scenario_scale_is_refused(tmp_path):
    scn = _demand_csv(tmp_path, 1e12)
    result = runner.invoke(app, ["validate", str(scn)])
    check_one_line_error(
        result.exit_code, result.stdout, result.stderr, "demand.csv", "profiles.demand", "TWh"
    )


def test_a_demand_csv_of_plausible_mw_is_accepted(tmp_path):
    from energy_sim.inputs.scenario import load_scenario
    from energy_sim.inputs.system import build_hourly_system

    system = build_hourly_system(load_scenario(_demand_csv(tmp_path, 10_000.0)))  # 526 TWh
    assert float(system["demand_mw"].max()) == 10_000.0


# -------------------------------- defect 8: no year drawn from representative days joined up


def test_a_plan_on_representative_days_is_not_drawn_as_a_year(tmp_path):
    from energy_sim.analysis.report_figures import run_figures, run_notes

    results, system = make_pair("low")
    results.attrs["resolution"] = "12d"
    results = results.drop_vars([v for v in ("block",) if v in results])
    run = load_run(write_run(tmp_path / "run", results, system))
    captions = [caption for caption, _uri in run_figures(run)]
    assert not any(c.startswith(("Dispatch around the peak", "LNG inventory")) for c in captions)
    assert any("energy-sim dispatch" in note for note in run_notes(run))
    chrono = load_run(write_run(tmp_path / "chrono", *make_pair("low")))
    assert any(c.startswith("Dispatch around the peak") for c, _ in run_figures(chrono))


def test_the_solver_log_is_kept_whole_and_a_terminal_sees_one_line():
    from energy_sim.cli.common import SolverProgress

    with SolverProgress(show=True) as log:
        log("Running HiGHS 1.15.1\n")
        log("    12   1.0e+03 [x]\n")
        shown = log.shown
    assert log.text() == "Running HiGHS 1.15.1\n    12   1.0e+03 [x]\n"
    assert shown == "12 1.0e+03 \\[x]"  # the latest message, markup escaped
    quiet = SolverProgress(show=False)
    quiet("a")
    assert quiet.text() == "a\n" and quiet.shown == ""


def test_a_new_plan_in_a_reused_folder_warns_about_the_earlier_plans_files(tmp_path, monkeypatch):
    results, system = make_pair("low")
    results.attrs["status"] = "optimal"
    folder = _folder_with(tmp_path, "old-plan", "old-plan")  # assessment.json of the old plan
    monkeypatch.setattr("energy_sim.planning.solve.plan", lambda *_a, **_k: results.copy())
    monkeypatch.setattr("energy_sim.inputs.system.build_system", lambda *_a, **_k: system)
    result = runner.invoke(app, ["run", str(SCENARIO), "--out", str(folder), "-q"])
    assert result.exit_code == 0, result.output
    assert "assessment.json was made for another plan" in result.stderr
    assert load_run(folder).assessments == {}  # and the report leaves it out


def test_dispatch_file_honours_the_umask(tmp_path, umask_027):
    """dispatch.nc gets the umask's mode like every other file (it was forced to 0644)."""
    from factory import tiny_system

    from energy_sim.operation import dispatch
    from energy_sim.operation.summary import write_dispatch

    res = dispatch(tiny_system(gens=[{"region": "north", "tech": "coal", "cap0": 200.0}]))
    assert mode(write_dispatch(res, tmp_path / "d")) == 0o640

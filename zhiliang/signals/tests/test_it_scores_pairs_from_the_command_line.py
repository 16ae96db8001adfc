"""``zhiliang signals disproportionality`` on the shared product × hazard table."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from zhiliang.lib.tests.signals_data import RELATIVE, needs_reference, relative_error, rows


def run(path: Path, *params: str, stderr: io.StringIO | None = None) -> list[dict[str, str]]:
    out = io.StringIO()
    arguments = [f"--param={p}" for p in params]
    call_command(
        "signals",
        "disproportionality",
        *arguments,
        str(path),
        stdout=out,
        stderr=stderr if stderr is not None else io.StringIO(),
    )
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def pair_file(tmp_path: Path) -> Path:
    """The reference table, its hazard column renamed event (the command's layout)."""
    path = tmp_path / "pairs.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["product", "event", "count"])
        for r in rows("input_product_hazard_counts.csv"):
            writer.writerow([r["product"], r["hazard"], r["count"]])
    return path


@needs_reference
def test_it_matches_the_closed_forms_for_every_pair(tmp_path):
    got = run(pair_file(tmp_path))
    reference = {(r["product"], r["hazard"]): r for r in rows("ref_closed_form_2x2.csv")}
    assert len(got) == 24
    scored = 0
    for out in got:
        cells = [int(out[column]) for column in ("a", "b", "c", "d")]
        assert sum(cells) == 3514
        if cells[0] == 0:  # no reports: its table and E only (vigipy scores none)
            assert (out["product"], out["event"]) not in reference
            assert all(
                out[c] == "" for c in ("prr", "ror", "chi2_yates", "ic", "ic025", "ebgm", "eb05")
            )
            continue
        want = reference[(out["product"], out["event"])]
        assert cells == [float(want[column]) for column in ("a", "b", "c", "d")]
        assert relative_error(float(out["expected"]), float(want["E_MH"])) < RELATIVE
        scored += 1
        for column, ref_column in (
            ("prr", "PRR"),
            ("prr_lo", "PRR_lo95"),
            ("prr_hi", "PRR_hi95"),
            ("ror", "ROR"),
            ("ror_lo", "ROR_lo95"),
            ("ror_hi", "ROR_hi95"),
            ("chi2_yates", "chi2_yates_textbook"),
            ("ic", "IC_BCPNN_PhViD"),
            ("ic025", "IC025_BCPNN_PhViD"),
        ):
            assert relative_error(float(out[column]), float(want[ref_column])) < RELATIVE, column
    assert scored == len(reference) == 20


@needs_reference
def test_mgps_with_dumouchels_prior_matches_vigipy_and_the_closed_forms(tmp_path):
    prior = "prior=0.2041,0.05816,1.415,1.838,0.0969"
    exact = {(r["product"], r["event"]): r for r in run(pair_file(tmp_path), prior)}
    bisected = run(pair_file(tmp_path), prior, "quantile_method=vigipy")
    closed = {(r["product"], r["hazard"]): r for r in rows("ref_closed_form_2x2.csv")}
    vigipy = {
        (r["product"], r["hazard"]): r
        for r in rows("ref_vigipy_gps_fixed_priors_DuMouchel.csv")
        if r["run"] == "min_events1"
    }
    compared = 0
    for out in bisected:
        pair = (out["product"], out["event"])
        if pair not in vigipy:
            assert out["ebgm"] == out["eb05"] == "" and out["a"] == "0"
            continue
        assert relative_error(float(out["ebgm"]), float(vigipy[pair]["EBGM"])) < RELATIVE
        assert relative_error(float(out["eb05"]), float(vigipy[pair]["LowerBound"])) < RELATIVE
        assert relative_error(float(exact[pair]["ebgm"]), float(closed[pair]["EBGM_fixed"])) < (
            RELATIVE
        )
        assert relative_error(float(exact[pair]["eb05"]), float(closed[pair]["EB05_fixed"])) < (
            RELATIVE
        )
        compared += 1
    assert compared == 20


@needs_reference
def test_by_default_the_prior_is_fitted_and_the_fit_reported(tmp_path):
    note = io.StringIO()
    got = {(r["product"], r["event"]): r for r in run(pair_file(tmp_path), stderr=note)}
    line = note.getvalue()
    assert line.startswith("MGPS prior fitted by maximum likelihood on 20 pairs: alpha1=20, ")
    assert "; converged after" in line and "on bounds: alpha1" in line
    # the same optimum as vigipy's Nelder–Mead (to ~1e−5), so the same scores to ~1e−4
    for r in rows("ref_vigipy_gps_fitted_priors.csv"):
        if r["run"] == "min_events1":
            mine = got[(r["product"], r["hazard"])]
            assert relative_error(float(mine["ebgm"]), float(r["EBGM"])) < 1e-4
            assert relative_error(float(mine["eb05"]), float(r["LowerBound"])) < 2e-4


@needs_reference
def test_the_spot_values_of_signals_md(tmp_path):
    got = {(r["product"], r["event"]): r for r in run(pair_file(tmp_path))}
    magnet = got[("magnet_toy", "ingestion")]
    assert float(magnet["expected"]) == pytest.approx(2.0774, abs=5e-5)
    assert float(magnet["prr"]) == pytest.approx(23.8186, abs=5e-5)
    assert float(magnet["prr_lo"]) == pytest.approx(15.6231, abs=5e-5)
    assert float(magnet["prr_hi"]) == pytest.approx(36.3133, abs=5e-5)
    assert float(magnet["ror"]) == pytest.approx(33.598, abs=5e-4)
    assert float(magnet["chi2_yates"]) == pytest.approx(380.50, abs=5e-3)
    assert float(magnet["ic025"]) == pytest.approx(2.6372, abs=5e-5)
    hoverboard = got[("hoverboard", "fire")]  # b = 0: Haldane–Anscombe
    assert float(hoverboard["prr"]) == pytest.approx(16.2463, abs=5e-5)
    assert float(hoverboard["ror"]) == pytest.approx(153.46, abs=5e-3)
    dumouchel = {
        (r["product"], r["event"]): r
        for r in run(pair_file(tmp_path), "prior=0.2041,0.05816,1.415,1.838,0.0969")
    }
    assert float(dumouchel[("magnet_toy", "ingestion")]["ebgm"]) == pytest.approx(13.9097, abs=5e-5)
    assert float(dumouchel[("magnet_toy", "ingestion")]["eb05"]) == pytest.approx(10.1923, abs=5e-5)


def test_a_bad_mgps_parameter_exits_2(tmp_path):
    with pytest.raises(CommandError) as caught:
        run(pair_file(tmp_path), "prior=1,2,3,4,-1")
    assert caught.value.returncode == 2
    assert "gps: the prior's weight P must lie in [0, 1]" in str(caught.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("product,hazard,count\nheater,burn,1\n", "line 1: missing column event"),
        (
            "product,event,count\nheater,burn,1\nheater,burn,2\n",
            "line 3: pair 'heater' × 'burn' appears twice (also line 2)",
        ),
        ("product,event,count\nheater,burn,-4\n", "line 2: count must be a whole number ≥ 0"),
    ],
)
def test_bad_input_exits_2_with_one_line_naming_it(tmp_path, content, message):
    path = tmp_path / "pairs.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        call_command("signals", "disproportionality", str(path), stdout=io.StringIO())
    assert caught.value.returncode == 2
    assert str(caught.value).startswith(f"{path}: {message}")

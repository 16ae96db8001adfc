"""``zhiliang signals disproportionality`` on the shared product × hazard table."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from zhiliang.lib.tests.signals_data import RELATIVE, needs_reference, relative_error, rows


def run(path: Path) -> list[dict[str, str]]:
    out = io.StringIO()
    call_command("signals", "disproportionality", str(path), stdout=out)
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
        assert out["ebgm"] == out["eb05"] == ""
        cells = [int(out[column]) for column in ("a", "b", "c", "d")]
        assert sum(cells) == 3514
        if cells[0] == 0:  # no reports: its table and E only (vigipy scores none)
            assert (out["product"], out["event"]) not in reference
            assert all(out[c] == "" for c in ("prr", "ror", "chi2_yates", "ic", "ic025"))
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

"""``zhiliang signals detect`` on the shared reference inputs, against the library and R."""

from __future__ import annotations

import csv
import datetime
import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from zhiliang.lib.signals import DETECTORS, NOUFAILY_2013, detect
from zhiliang.lib.tests.signals_data import (
    RELATIVE,
    SIGNALS,
    needs_reference,
    r_number,
    relative_error,
    rows,
    weekly,
)

WEEKLY_60 = SIGNALS / "input_weekly_60.csv"
WEEKLY_312 = SIGNALS / "input_weekly_long_312.csv"
PARAMETERS = {"cusum": ["training_weeks=26"]}
#: Methods that need years of weeks (tested on input_weekly_long_312.csv below).
MULTI_YEAR = {"farrington", "serfling-pynssp", "nbinom-pynssp"}


def run(method: str, path: Path, *params: str) -> list[dict[str, str]]:
    out = io.StringIO()
    args = [arg for param in params for arg in ("--param", param)]
    call_command("signals", "detect", "--method", method, *args, str(path), stdout=out)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def cell(value: float, decided: bool) -> str:
    return "" if not decided or np.isnan(value) else value


@needs_reference
@pytest.mark.parametrize("method", [m for m in DETECTORS if m not in MULTI_YEAR])
def test_it_prints_what_the_library_finds_for_every_input_row(method):
    got = run(method, WEEKLY_60, *PARAMETERS.get(method, []))
    ids, counts = weekly()
    given = {"training_weeks": 26} if method == "cusum" else {}
    want = detect(method, counts, **given)
    inputs = rows("input_weekly_60.csv")
    assert len(got) == len(inputs) == 120
    for out, row in zip(got, inputs, strict=True):
        assert (out["series_id"], out["date"], out["count"]) == (
            row["series_id"],
            row["date"],
            row["count"],
        )
        i, t = ids.index(row["series_id"]), int(row["week"]) - 1
        decided = bool(want.decided[i, t])
        for column, values in (
            ("expected", want.expected),
            ("upperbound", want.upperbound),
            ("statistic", want.statistic),
            ("p_value", want.p_value),
        ):
            expected = cell(values[i, t], decided)
            assert (float(out[column]) if out[column] else "") == expected, (column, row)
        assert out["alarm"] == ("" if not decided else "true" if want.alarm[i, t] else "false")


@needs_reference
def test_farrington_from_the_command_line_matches_surveillance():
    # Noufaily's settings as --param, reference weeks by the file's dates.
    params = [f"{k}={v}" for k, v in NOUFAILY_2013.items()]
    got = {r["date"]: r for r in run("farrington", WEEKLY_312, "b=4", *params)}
    reference = [
        r for r in rows("ref_surveillance_farringtonFlexible.csv") if r["config"] == "noufaily_b4"
    ]
    worst = 0.0
    for want in reference:
        out = got[want["date"]]
        for column, ref_column in (
            ("expected", "expected"),
            ("upperbound", "upperbound"),
            ("statistic", "score"),
            ("p_value", "pvalue"),
        ):
            worst = max(worst, relative_error(float(out[column]), r_number(want[ref_column])))
        assert out["alarm"] == want["alarm"].lower(), want["date"]
    assert worst < RELATIVE
    # b = 4, w = 3: the first week tested is 52·4 + 3 + 1 = 212 (2022-01-23).
    assert got["2022-01-16"]["alarm"] == got["2022-01-16"]["expected"] == ""
    assert got["2022-01-23"]["alarm"] in ("true", "false")


@needs_reference
@pytest.mark.parametrize(
    ("method", "reference"),
    [("serfling-pynssp", "ref_pynssp_serfling.csv"), ("nbinom-pynssp", "ref_pynssp_nbinom.csv")],
)
def test_the_seasonal_methods_from_the_command_line_match_pynssp(method, reference):
    # pynssp's baseline_end 2022-12-25 is --param training_weeks=260; serfling's seasons
    # come from the file's dates.
    got = run(method, WEEKLY_312, "training_weeks=260")
    worst = 0.0
    for out, want in zip(got, rows(reference), strict=True):
        assert out["date"] == want["date"]
        if want["split"] == "Baseline Period":
            assert out["expected"] == out["upperbound"] == out["alarm"] == ""
            continue
        for column, ref_column in (("expected", "estimate"), ("upperbound", "threshold")):
            worst = max(worst, relative_error(float(out[column]), float(want[ref_column])))
        assert out["alarm"] == want["alarm"].lower(), want["date"]
        assert out["p_value"]
    assert worst < RELATIVE
    assert [r["date"] for r in got if r["alarm"] == "true"] == [
        "2023-01-01",
        "2023-10-01",
        "2023-10-08",
        "2023-10-15",
        "2023-10-22",
        "2023-10-29",
    ]


def test_parameters_reach_the_method(tmp_path):
    path = tmp_path / "zeros.csv"
    write(path, [("A", day, 1 if i == 9 else 0) for i, day in enumerate(sundays(10))])
    default = run("ears-c1", path)[-1]
    floored = run("ears-c1", path, "min_sigma=0.5")[-1]
    # After seven zero weeks any count alarms unless the SD is floored (SIGNALS.md §1.1).
    assert (default["count"], default["alarm"], default["upperbound"]) == ("1", "true", "0.0")
    assert floored["alarm"] == "false"
    assert float(floored["upperbound"]) == pytest.approx(0.5 * 3.090232306167813)


def test_series_on_other_weeks_are_run_on_their_own_weeks(tmp_path):
    rng = np.random.default_rng(5)
    a, b = rng.poisson(10, 40), rng.poisson(10, 30)
    days = sundays(50)
    path = tmp_path / "two.csv"
    write(
        path,
        [("A", d, c) for d, c in zip(days, a, strict=False)]
        + [("B", d, c) for d, c in zip(days[20:], b, strict=False)],
    )
    got = run("ewma", path)
    want_a = detect("ewma", a.astype(float))
    want_b = detect("ewma", b.astype(float))
    assert [float(r["expected"]) if r["expected"] else None for r in got[:40]] == [
        None if np.isnan(v) else v for v in want_a.expected
    ]
    assert [float(r["expected"]) if r["expected"] else None for r in got[40:]] == [
        None if np.isnan(v) else v for v in want_b.expected
    ]


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("series_id,count\nA,1\n", [], "line 1: missing column date"),
        (
            "series_id,date,count\nA,2024-01-07,1\nA,2024-01-14,1.5\n",
            [],
            "line 3: count must be a whole number ≥ 0, got '1.5'",
        ),
        (
            "series_id,date,count\nA,2024-01-07,-2\n",
            [],
            "line 2: count must be a whole number ≥ 0, got '-2'",
        ),
        (
            "series_id,date,count\nA,2024-01-07,1\nA,2024-01-28,2\n",
            [],
            "line 3: series 'A': 2024-01-28 does not follow 2024-01-07 (line 2) by one week",
        ),
        (
            "series_id,date,count\nA,2024-01-07,1\nA,2024-01-07,2\n",
            [],
            "line 3: series 'A' has week 2024-01-07 twice (also line 2)",
        ),
        ("series_id,date,count\nA,7.1.2024,1\n", [], "line 2: date must be YYYY-MM-DD"),
        (
            "series_id,date,count\nA,2024-01-07,1\n",
            ["--param", "window=3"],
            "--param window: ears-c1 has no parameter 'window'",
        ),
        (
            "series_id,date,count\nA,2024-01-07,1\n",
            ["--param", "alpha=lots"],
            "--param alpha=lots: must be a number",
        ),
        (
            "series_id,date,count\nA,2024-01-07,1\n",
            ["--param", "alpha=2"],
            "ears-c1: alpha must be between 0 and 1",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line_naming_it(tmp_path, content, args, message):
    path = tmp_path / "in.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        call_command(
            "signals", "detect", "--method", "ears-c1", *args, str(path), stdout=io.StringIO()
        )
    assert caught.value.returncode == 2
    assert str(caught.value) == f"{path}: {message}" or str(caught.value).startswith(
        f"{path}: {message}"
    )
    assert "\n" not in str(caught.value)


def test_an_unknown_method_or_a_missing_file_exits_2(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("series_id,date,count\nA,2024-01-07,1\n", encoding="utf-8")
    with pytest.raises(CommandError, match="unknown method 'ears-c4'; known: ears-c1") as caught:
        call_command("signals", "detect", "--method", "ears-c4", str(path))
    assert caught.value.returncode == 2
    with pytest.raises(CommandError, match="nope.csv: No such file") as caught:
        call_command("signals", "detect", "--method", "ears-c1", str(tmp_path / "nope.csv"))
    assert caught.value.returncode == 2


def test_the_console_command_prints_csv_or_exits_2_with_one_line(tmp_path):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    write(good, [("A", d, 5) for d in sundays(3)])
    bad.write_text("series_id,date,count\nA,2024-01-07,x\n", encoding="utf-8")
    command = [sys.executable, "-m", "zhiliang", "signals", "detect", "--method", "ears-c1"]
    ok = subprocess.run([*command, str(good)], capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    assert (
        ok.stdout.splitlines()[0]
        == "series_id,date,count,expected,upperbound,statistic,p_value,alarm"
    )
    assert ok.stdout.splitlines()[1] == "A,2024-01-07,5,,,,,"
    failed = subprocess.run([*command, str(bad)], capture_output=True, text=True, check=False)
    assert failed.returncode == 2 and failed.stdout == ""
    assert failed.stderr.splitlines() == [
        f"CommandError: {bad}: line 2: count must be a whole number ≥ 0, got 'x'"
    ]


def sundays(weeks: int, start: datetime.date = datetime.date(2024, 1, 7)) -> list[str]:
    return [(start + datetime.timedelta(weeks=i)).isoformat() for i in range(weeks)]


def write(path: Path, data: list[tuple[str, str, int]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["series_id", "date", "count"])
        writer.writerows(data)

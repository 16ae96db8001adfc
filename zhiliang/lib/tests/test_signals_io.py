"""Reading, checking and writing the early-warning CSVs (zhiliang.lib.signals.io)."""

import datetime
import io

import numpy as np
import pytest

from zhiliang.lib.signals import (
    DUMOUCHEL_1999,
    PAIR_STATISTICS,
    GpsPrior,
    detect,
    disproportionality,
    gps,
    two_by_two,
)
from zhiliang.lib.signals.io import (
    DETECTION_COLUMNS,
    InputError,
    detect_table,
    detection_rows,
    disproportionality_rows,
    mgps_summary,
    pair_mgps,
    parse_parameters,
    read_pair_counts,
    read_weekly_counts,
)


def lines(text: str) -> io.StringIO:
    return io.StringIO(text, newline="")


def weekly(*rows: str, header: str = "series_id,date,count") -> io.StringIO:
    return lines("\n".join([header, *rows]) + "\n")


def sundays(start: str, counts: list[int], series: str = "A") -> list[str]:
    first = datetime.date.fromisoformat(start)
    return [
        f"{series},{(first + datetime.timedelta(weeks=i)).isoformat()},{c}"
        for i, c in enumerate(counts)
    ]


def test_series_on_the_same_weeks_form_one_panel_in_any_row_order():
    rows = sundays("2024-01-07", [1, 2, 3]) + sundays("2024-01-07", [4, 5, 6], "B")
    shuffled = [rows[4], rows[0], rows[2], rows[1], rows[5], rows[3]]
    table = read_weekly_counts(weekly(*shuffled))
    assert len(table.panels) == 1
    panel = table.panels[0]
    assert panel.series == ("B", "A")  # first appearance
    assert panel.dates[0] == datetime.date(2024, 1, 7) and len(panel.dates) == 3
    np.testing.assert_array_equal(panel.counts, [[4, 5, 6], [1, 2, 3]])
    assert [(r[0], r[1], r[2]) for r in table.rows] == [
        ("B", "2024-01-14", 5),
        ("A", "2024-01-07", 1),
        ("A", "2024-01-21", 3),
        ("A", "2024-01-14", 2),
        ("B", "2024-01-21", 6),
        ("B", "2024-01-07", 4),
    ]


def test_series_on_other_weeks_form_their_own_panels_and_extra_columns_are_ignored():
    text = "week,series_id,date,count,note\n" + "\n".join(
        f"{i},{row},x"
        for i, row in enumerate(
            sundays("2024-01-07", [1, 2]) + sundays("2024-01-21", [7, 8, 9], "B")
        )
    )
    table = read_weekly_counts(lines(text))
    assert [p.series for p in table.panels] == [("A",), ("B",)]
    assert [len(p.dates) for p in table.panels] == [2, 3]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "line 1: the file is empty"),
        ("series_id,count\nA,1\n", "line 1: missing column date"),
        ("id,day,n\n", "line 1: missing columns series_id, date, count"),
        ("series_id,date,count\n", "line 2: no data rows"),
        (
            "series_id,date,count\nA,2024-01-07,1\nA,2024-01-14,2.5\n",
            "line 3: count must be a whole",
        ),
        ("series_id,date,count\nA,2024-01-07,-1\n", "line 2: count must be a whole number ≥ 0"),
        ("series_id,date,count\nA,2024-01-07,\n", "line 2: count must be a whole"),
        ("series_id,date,count\nA,07/01/2024,1\n", "line 2: date must be YYYY-MM-DD"),
        ("series_id,date,count\nA,2024-02-30,1\n", "line 2: date must be YYYY-MM-DD"),
        ("series_id,date,count\n,2024-01-07,1\n", "line 2: series_id is empty"),
        (
            "series_id,date,count\nA,2024-01-07,1\nB,2024-01-07,1\nA,2024-01-07,2\n",
            "line 4: series 'A' has week 2024-01-07 twice (also line 2)",
        ),
        (
            "series_id,date,count\nA,2024-01-07,1\nA,2024-01-21,2\n",
            "line 3: series 'A': 2024-01-21 does not follow 2024-01-07 (line 2) by one week",
        ),
        (
            "series_id,date,count\nA,2024-01-07,1\nA,2024-01-13,2\n",
            "line 3: series 'A': 2024-01-13 does not follow",
        ),
    ],
)
def test_bad_weekly_input_names_the_line(text, message):
    with pytest.raises(InputError) as caught:
        read_weekly_counts(lines(text))
    assert str(caught.value).startswith(message), str(caught.value)
    assert "\n" not in str(caught.value)


def test_blank_lines_are_skipped_but_counted_in_line_numbers():
    with pytest.raises(InputError, match="^line 5: count"):
        read_weekly_counts(lines("series_id,date,count\n\nA,2024-01-07,1\n\nA,2024-01-14,x\n"))
    table = read_weekly_counts(lines("series_id,date,count\n\nA,2024-01-07,1\n,,\n"))
    assert table.panels[0].counts.tolist() == [[1.0]]


def test_a_file_that_is_not_utf8_is_refused():
    raw = io.TextIOWrapper(
        io.BytesIO("series_id,date,count\nA,2024-01-07,1\n伤害,2024-01-14,2\n".encode("gbk")),
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="not UTF-8"):
        read_weekly_counts(raw)


def test_parameters_are_converted_as_the_signatures_declare():
    assert parse_parameters("ears-c1", ["alpha=0.01", "baseline=5", "min_sigma=1"]) == {
        "alpha": 0.01,
        "baseline": 5,
        "min_sigma": 1.0,
    }
    assert parse_parameters(
        "cusum", ["training_weeks=26", "trans=rossi", "reset=true", "m=4.5"]
    ) == {
        "training_weeks": 26,
        "trans": "rossi",
        "reset": True,
        "m": 4.5,
    }
    assert parse_parameters(
        "farrington",
        ["limit54=3,2", "past_weeks_not_included=26", "threshold_method=nbPlugin", "reweight=no"],
    ) == {
        "limit54": (3, 2),
        "past_weeks_not_included": 26,
        "threshold_method": "nbPlugin",
        "reweight": False,
    }
    assert parse_parameters("farrington", ["past_weeks_not_included=none"]) == {
        "past_weeks_not_included": None
    }


def test_mgps_parameters_are_read_against_the_gps_signature():
    got = parse_parameters(
        "gps",
        ["prior=0.2041, 0.05816,1.415,1.838,0.0969", "quantile_method=vigipy", "truncate_at=2"],
        registry=PAIR_STATISTICS,
    )
    assert got == {"prior": DUMOUCHEL_1999, "quantile_method": "vigipy", "truncate_at": 2}
    assert isinstance(got["prior"], GpsPrior)
    assert parse_parameters("gps", ["prior=none"], registry=PAIR_STATISTICS) == {"prior": None}
    with pytest.raises(InputError) as caught:
        parse_parameters("gps", ["prior=1,2,3"], registry=PAIR_STATISTICS)
    assert str(caught.value) == (
        "--param prior=1,2,3: must be 5 values separated by commas "
        "(alpha1, beta1, alpha2, beta2, weight)"
    )
    with pytest.raises(InputError, match="gps has no parameter 'alpha'"):
        parse_parameters("gps", ["alpha=1"], registry=PAIR_STATISTICS)


@pytest.mark.parametrize(
    ("method", "assignment", "message"),
    [
        ("ears-c4", "alpha=1", "unknown method 'ears-c4'; known: ears-c1"),
        (
            "ears-c1",
            "window=3",
            "--param window: ears-c1 has no parameter 'window'; it takes baseline",
        ),
        ("ears-c1", "alpha", "--param 'alpha': write NAME=VALUE"),
        ("ears-c1", "alpha=abc", "--param alpha=abc: must be a number"),
        ("ears-c1", "alpha=inf", "--param alpha=inf: must be a finite number"),
        ("ears-c1", "baseline=7.5", "--param baseline=7.5: must be a whole number"),
        (
            "cusum",
            "trans=pearson",
            "--param trans=pearson: must be one of standard, rossi, anscombe",
        ),
        ("cusum", "reset=maybe", "--param reset=maybe: must be true or false"),
        ("farrington", "limit54=5", "--param limit54=5: must be 2 values"),
        ("farrington", "dates=2024-01-07", "--param dates: dates comes from the input file"),
    ],
)
def test_bad_parameters_are_refused_with_one_line(method, assignment, message):
    with pytest.raises(InputError) as caught:
        parse_parameters(method, [assignment])
    assert str(caught.value).startswith(message), str(caught.value)


def test_a_parameter_the_detector_refuses_is_an_input_error():
    table = read_weekly_counts(weekly(*sundays("2024-01-07", [1] * 10)))
    with pytest.raises(InputError, match="^ears-c1: alpha must be between 0 and 1"):
        detect_table(table, "ears-c1", {"alpha": 2.0})
    with pytest.raises(InputError, match="^cusum: cusum needs training_weeks"):
        detect_table(table, "cusum", {})


def test_detection_rows_follow_the_input_rows_and_leave_undecided_weeks_empty():
    counts = [8, 11, 9, 7, 10, 12, 9, 8, 30]
    table = read_weekly_counts(weekly(*reversed(sundays("2024-01-07", counts))))
    results = detect_table(table, "ears-c1", {})
    rows = list(detection_rows(table, results))
    assert rows[0] == list(DETECTION_COLUMNS)
    want = detect("ears-c1", np.array(counts, dtype=float))
    last, first = rows[1], rows[-1]
    assert last[:3] == ["A", "2024-03-03", "30"]
    assert float(last[3]) == want.expected[-1] and float(last[4]) == want.upperbound[-1]
    assert float(last[5]) == want.statistic[-1] and last[6] == "" and last[7] == "true"
    assert first == ["A", "2024-01-07", "8", "", "", "", "", ""]


def test_farrington_gets_the_dates_of_its_panel():
    rng = np.random.default_rng(3)
    counts = rng.poisson(9, size=270)
    table = read_weekly_counts(weekly(*sundays("2019-01-06", list(counts))))
    (got,) = detect_table(table, "farrington", {})
    dates = [datetime.date(2019, 1, 6) + datetime.timedelta(weeks=i) for i in range(270)]
    want = detect("farrington", counts.astype(float), dates=dates)
    np.testing.assert_array_equal(got.upperbound[0], want.upperbound)


def test_pair_counts_give_every_pair_its_table_and_scores():
    text = "product,event,count,source\nheater,burn,40,x\nheater,fire,0,x\ntoy,burn,3,x\ntoy,fire,9,x\n"
    table = read_pair_counts(lines(text))
    assert table.products == ("heater", "toy") and table.events == ("burn", "fire")
    rows = list(disproportionality_rows(table))
    assert rows[0][:7] == ["product", "event", "a", "b", "c", "d", "expected"]
    assert rows[0][-2:] == ["ebgm", "eb05"]
    scored = disproportionality(two_by_two(table.counts, min_count=1))
    heater_burn = rows[1]
    assert heater_burn[:6] == ["heater", "burn", "40", "0", "3", "9"]
    assert float(heater_burn[6]) == pytest.approx(40 * 43 / 52)
    assert float(heater_burn[7]) == scored.prr.ratio[0]
    assert float(heater_burn[15]) == scored.ic.ic025[0]
    mgps = gps(scored.cells)  # by default the prior is fitted on the pairs with a report
    assert mgps.fit is not None
    assert [float(v) for v in heater_burn[16:]] == [mgps.ebgm[0], mgps.eb05[0]]
    heater_fire = rows[2]  # no reports: its table and E only
    assert heater_fire[:6] == ["heater", "fire", "0", "40", "9", "3"]
    assert heater_fire[6] != "" and heater_fire[7:] == [""] * 11


def test_mgps_with_a_given_prior_and_its_summary_line():
    table = read_pair_counts(lines("product,event,count\nheater,burn,40\ntoy,burn,3\ntoy,fire,9\n"))
    given = pair_mgps(table, {"prior": DUMOUCHEL_1999})
    assert given is not None and given.fit is None
    want = gps(two_by_two(table.counts, min_count=1), prior=DUMOUCHEL_1999)
    rows = list(disproportionality_rows(table, given))
    assert [float(v) for v in rows[1][16:]] == [want.ebgm[0], want.eb05[0]]
    assert mgps_summary(given) == (
        "MGPS prior given: alpha1=0.2041, beta1=0.05816, alpha2=1.415, beta2=1.838, "
        "weight=0.0969; EB05 exact"
    )
    fitted = pair_mgps(table, {})
    assert fitted is not None and fitted.fit is not None
    assert mgps_summary(fitted).startswith("MGPS prior fitted by maximum likelihood on 3 pairs")
    with pytest.raises(InputError, match="^gps: the prior's weight P must lie in"):
        pair_mgps(table, {"prior": (1, 1, 1, 1, 2)})


def test_a_table_without_reports_has_no_mgps():
    table = read_pair_counts(lines("product,event,count\nheater,burn,0\n"))
    assert pair_mgps(table, {}) is None
    assert mgps_summary(None) == "MGPS: no pair has a report; ebgm and eb05 are empty"
    assert list(disproportionality_rows(table))[1][16:] == ["", ""]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("product,hazard,count\nheater,burn,1\n", "line 1: missing column event"),
        (
            "product,event,count\nheater,burn,1\nheater,burn,2\n",
            "line 3: pair 'heater' × 'burn' appears twice (also line 2)",
        ),
        ("product,event,count\nheater,,1\n", "line 2: product and event must not be empty"),
        ("product,event,count\nheater,burn,many\n", "line 2: count must be a whole number"),
    ],
)
def test_bad_pair_input_names_the_line(text, message):
    with pytest.raises(InputError) as caught:
        read_pair_counts(lines(text))
    assert str(caught.value).startswith(message), str(caught.value)

"""``zhiliang surveillance import-neiss FILE``: US CPSC NEISS cases into the case store.

Two layouts are read, tab-separated or comma-separated, plain or gzipped:

* the **official case file** (CPSC_Case_Number, Treatment_Date, Age, Sex, Race, …,
  Body_Part, Diagnosis, Disposition, Location, Product_1..3, Narrative, Stratum, PSU,
  Weight). Coded columns may hold the code (``57``) or its code-book label
  (``FRACTURE``), so a file whose codes were replaced by labels reads the same;
* the **reduced layout** of ``infants_under2_2002_2021.csv.gz`` (id, weight, date, age in
  months, sex M/F, race, disposition, location, fire, alcohol, drugs, stratum, psu).

NEISS codes become the report card's fields through ``data/neiss_codes.csv`` and NEISS
products become catalogue classes through ``data/neiss_products.csv``; a product the
table does not place keeps its code with no category ("其他"). The NEISS codes the card
cannot hold (diagnosis, body part, disposition, location, race, …) are kept in the
case's ``source_codes``. Every row is checked first; a file with any problem writes
nothing. Cases already stored (by CPSC case number) are left as they are, so a
re-import adds nothing. Rows go in by ``executemany`` (SQLite) or ``COPY``
(PostgreSQL), not as model instances: 446,194 cases in well under a minute.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from zhiliang.accounts.audit import audit_record
from zhiliang.inspections.models import ProductCategory
from zhiliang.surveillance.codes import Source
from zhiliang.surveillance.models import InjuryCase
from zhiliang.surveillance.neisslayout import (
    FULL_HEADERS,
    KEPT,
    KEPT_TEXT,
    MAPPED,
    REDUCED_HEADERS,
    REQUIRED,
    code_maps,
    product_table,
)

#: Problems listed for a rejected file; the count says how many there were in all.
MAX_REPORTED = 1000
BATCH = 5000

ERR_HEADER = gettext_noop(
    "不是 NEISS 病例文件：缺少列 %(columns)s（官方格式需 CPSC_Case_Number、Treatment_Date、"
    "Weight、Stratum、PSU；简化格式需 id、weight、date、stratum、psu）"
)
ERR_READ = gettext_noop("无法读取文件：%(reason)s")
ERR_EMPTY = gettext_noop("文件中没有病例")
ERR_CASE_NUMBER = gettext_noop("病例编号为空或超过 32 个字符")
ERR_DUPLICATE = gettext_noop("病例编号 %(value)s 与第 %(line)s 行重复")
ERR_DATE = gettext_noop("日期“%(value)s”无法识别，应为 MM/DD/YYYY 或 YYYY-MM-DD")
ERR_FUTURE = gettext_noop("日期 %(value)s 晚于今天")
ERR_WEIGHT = gettext_noop("统计权重“%(value)s”应为正数")
ERR_DESIGN = gettext_noop("“%(value)s”为空或过长（抽样层最多 16 个字符，PSU 最多 32 个）")
ERR_CODE = gettext_noop("“%(value)s”不是 NEISS 代码表中的代码或名称")
ERR_AGE = gettext_noop("年龄“%(value)s”无法识别（应为 0–120 岁，或 200–223 表示月龄）")
ERR_PRODUCT = gettext_noop("产品“%(value)s”不是 NEISS 产品代码或名称")


@dataclass(frozen=True)
class NeissProblem:
    line: int  # 0 for the file as a whole
    column: str
    message: str


@dataclass
class NeissOutcome:
    layout: str = ""
    rows: int = 0
    created: int = 0
    unchanged: int = 0
    #: products whose code the mapping table does not place (stored as "其他")
    unmapped_products: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    problems: list[NeissProblem] = field(default_factory=list)
    problem_count: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problem_count

    def add(self, line: int, column: str, message: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_REPORTED:
            self.problems.append(NeissProblem(line, column, message))


# --- reading ------------------------------------------------------------------------------


def _open_text(path: Path) -> io.BufferedReader | gzip.GzipFile:
    raw = path.open("rb")
    if raw.read(2) == b"\x1f\x8b":
        raw.seek(0)
        return gzip.GzipFile(fileobj=raw)
    raw.seek(0)
    return raw


def _read(path: Path) -> pa.Table:
    with _open_text(path) as fh:
        first = fh.readline().decode("utf-8-sig")
    tab = "\t" in first
    names = next(csv.reader([first], delimiter="\t" if tab else ","), [])
    with _open_text(path) as fh:
        return pa_csv.read_csv(
            fh,
            read_options=pa_csv.ReadOptions(encoding="utf-8", block_size=1 << 24),
            parse_options=pa_csv.ParseOptions(
                delimiter="\t" if tab else ",",
                # CPSC's tab-separated files quote nothing, and a narrative may hold a
                # lone '"' (5'6"): only the CSV layout has quoting.
                quote_char=False if tab else '"',
                newlines_in_values=not tab,
            ),
            convert_options=pa_csv.ConvertOptions(
                # Text throughout: numbers and dates are checked here, not guessed.
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                auto_dict_encode=False,
            ),
        )


def _as_text(table: pa.Table) -> pa.Table:
    """Every column as stripped text (the reader infers numbers; we check them here)."""
    columns = []
    for column in table.columns:
        text = column.cast(pa.string()) if column.type != pa.string() else column
        columns.append(pc.utf8_trim_whitespace(text.fill_null("")))
    names = [name.strip().lstrip("\ufeff").lower() for name in table.column_names]
    return pa.Table.from_arrays(columns, names=names)


# --- checking one column at a time --------------------------------------------------------


class _Column:
    """A text column as its distinct values and each row's index into them: a function
    of the value is computed once per distinct value (a date column of 446k rows holds
    about 7,300), then spread to the rows."""

    def __init__(self, values: pa.ChunkedArray | pa.Array) -> None:
        encoded = pa.chunked_array(values).combine_chunks().dictionary_encode()
        self.values: list[str] = encoded.dictionary.to_pylist()
        self.index = encoded.indices.to_numpy(zero_copy_only=False)

    def convert(
        self,
        function: Callable[[str], Any],
        outcome: NeissOutcome,
        column: str,
        message: str,
    ) -> np.ndarray:
        """Each row's ``function(value)`` as an object array; a value the function
        refuses (``ValueError``) is reported on every row that holds it."""
        converted: list[Any] = []
        bad: list[int] = []
        said: dict[int, str] = {}
        for i, value in enumerate(self.values):
            try:
                converted.append(function(value))
            except ValueError as exc:
                converted.append(None)
                bad.append(i)
                said[i] = exc.message if isinstance(exc, _Refused) else message
        if bad:
            for row in np.flatnonzero(np.isin(self.index, bad)).tolist():
                index = int(self.index[row])
                outcome.add(row + 2, column, _(said[index]) % {"value": self.values[index]})
        out = np.empty(len(converted), dtype=object)
        out[:] = converted
        return out[self.index]


class _Refused(ValueError):
    """A value refused with a message of its own (not the column's)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _code(labels: dict[str, int]) -> Callable[[str], int | None]:
    def parse(value: str) -> int | None:
        if not value:
            return None
        try:
            return int(float(value))
        except ValueError:
            pass
        found = labels.get(value.upper())
        if found is None:
            raise ValueError(value)
        return found

    return parse


def _date(today: dt.date) -> Callable[[str], dt.date]:
    def parse(value: str) -> dt.date:
        for pattern in ("%m/%d/%Y", "%Y-%m-%d", "%Y/%m/%d"):
            try:
                day = dt.datetime.strptime(value[:10], pattern).date()
            except ValueError:
                continue
            if day > today:
                raise _Refused(ERR_FUTURE)
            return day
        raise ValueError(value)

    return parse


def _weight(value: str) -> float:
    number = float(value)
    if not (math.isfinite(number) and number > 0):
        raise ValueError(value)
    return number


def _age_full(value: str) -> tuple[int | None, int | None]:
    """NEISS Age: 0 unknown, 2–120 years, 200–223 months (200 + months); a file that
    replaced codes by years gives fractions under two (1.75 = 21 months)."""
    if not value:
        return None, None
    number = float(value)
    if number == 0:
        return None, None
    if 200 <= number <= 223 and number.is_integer():
        months = int(number) - 200
        return months // 12, months
    if 0 < number < 2:
        months = round(number * 12)
        return months // 12, months
    if 2 <= number <= 120:
        return int(number), None
    raise ValueError(value)


def _age_months(value: str) -> tuple[int | None, int | None]:
    if not value:
        return None, None
    months = int(value)
    if not 0 <= months <= 23:
        raise ValueError(value)
    return months // 12, months


# --- the import ---------------------------------------------------------------------------


def neiss_import(*, path: Path, actor: Any = None, today: dt.date | None = None) -> NeissOutcome:
    """Import a NEISS case file; all or nothing. ``actor`` ``None`` is the system."""
    started = time.perf_counter()
    today = today or timezone.localdate()
    outcome = NeissOutcome()
    try:
        table = _as_text(_read(path))
    except (OSError, pa.ArrowInvalid, UnicodeDecodeError, EOFError) as exc:
        outcome.add(0, "", _(ERR_READ) % {"reason": exc})
        return outcome
    full = "cpsc_case_number" in table.column_names
    headers = FULL_HEADERS if full else REDUCED_HEADERS
    outcome.layout = "cpsc" if full else "reduced"
    present = {headers[name]: name for name in table.column_names if name in headers}
    outcome.ignored_columns = [n for n in table.column_names if n not in headers]
    missing = [f for f in REQUIRED if f not in present]
    if missing:
        outcome.layout = ""
        spelling = {v: k for k, v in headers.items()}
        outcome.add(0, "", _(ERR_HEADER) % {"columns": ", ".join(spelling[f] for f in missing)})
        return outcome
    outcome.rows = table.num_rows
    if not outcome.rows:
        outcome.add(0, "", _(ERR_EMPTY))
        return outcome
    columns = _checked(table, present, full, outcome, today)
    if not outcome.ok:
        return outcome
    with transaction.atomic():
        _write(columns, outcome, actor, path.name)
    outcome.seconds = time.perf_counter() - started
    return outcome


def _checked(
    table: pa.Table,
    present: dict[str, str],
    full: bool,
    outcome: NeissOutcome,
    today: dt.date,
) -> dict[str, np.ndarray]:
    """Every column checked and converted: field → object array (None where blank)."""
    maps, labels = code_maps()
    n = table.num_rows

    def column(name: str) -> _Column:
        return _Column(table.column(present[name]) if name in present else pa.array([""] * n))

    out: dict[str, np.ndarray] = {}
    numbers = table.column(present["case_number"]).combine_chunks()
    number_list = numbers.to_pylist()
    first: dict[str, int] = {}
    for row, number in enumerate(number_list):
        if not number or len(number) > 32:
            outcome.add(row + 2, present["case_number"], _(ERR_CASE_NUMBER))
        elif number in first:
            outcome.add(
                row + 2,
                present["case_number"],
                _(ERR_DUPLICATE) % {"value": number, "line": first[number] + 2},
            )
        else:
            first[number] = row
    out["case_number"] = np.array(number_list, dtype=object)
    out["visit_date"] = column("date").convert(_date(today), outcome, present["date"], ERR_DATE)
    out["weight"] = column("weight").convert(_weight, outcome, present["weight"], ERR_WEIGHT)
    for name, longest in (("stratum", 16), ("psu", 32)):

        def design(value: str, longest: int = longest) -> str:
            if not value or len(value) > longest:
                raise ValueError(value)
            return value

        out[name] = column(name).convert(design, outcome, present[name], ERR_DESIGN)
    if "age" in present or "age_months" in present:
        age_field = "age" if full else "age_months"
        ages = column(age_field).convert(
            _age_full if full else _age_months, outcome, present[age_field], ERR_AGE
        )
        out["age_years"] = np.array([a[0] if a else None for a in ages], dtype=object)
        out["age_months"] = np.array([a[1] if a else None for a in ages], dtype=object)
    kept: dict[str, np.ndarray] = {}
    for neiss, fmt in KEPT.items():
        if neiss in present:
            kept[neiss] = column(neiss).convert(
                _code(labels.get(fmt, {})), outcome, present[neiss], ERR_CODE
            )
    for neiss, (card, fmt) in MAPPED.items():
        if neiss not in present:
            continue
        codes = kept.get(neiss)
        if codes is None:
            codes = column(neiss).convert(
                _code(labels.get(fmt, {})), outcome, present[neiss], ERR_CODE
            )
            if neiss == "sex" and not full:
                kept["sex"] = codes
        mapping = maps[neiss]

        def card_code(code: int | None, mapping: dict[int, int | None] = mapping) -> Any:
            return None if code is None else mapping.get(code)

        unknown = [c for c in set(codes.tolist()) if c is not None and c not in mapping]
        if unknown:
            for row in np.flatnonzero(np.isin(codes, unknown)).tolist():
                outcome.add(row + 2, present[neiss], _(ERR_CODE) % {"value": codes[row]})
        out[card] = np.array([card_code(c) for c in codes.tolist()], dtype=object)
        if full and neiss == "sex":
            kept["sex"] = codes
    for text in KEPT_TEXT:
        if text in present:
            kept[text] = np.array(
                [v or None for v in table.column(present[text]).to_pylist()], dtype=object
            )
    if full:
        _products(table, present, out, outcome)
        narrative = (
            table.column(present["narrative"]).to_pylist() if "narrative" in present else None
        )
        if narrative is not None and "narrative_2" in present:
            second = table.column(present["narrative_2"]).to_pylist()
            narrative = [f"{a} {b}".strip() for a, b in zip(narrative, second, strict=True)]
        out["narrative"] = np.array(narrative or [""] * n, dtype=object)
    out["source_codes"] = _source_codes(kept, n)
    return out


def _products(
    table: pa.Table, present: dict[str, str], out: dict[str, np.ndarray], outcome: NeissOutcome
) -> None:
    classes, titles = product_table()
    category_ids = dict(ProductCategory.objects.values_list("code", "pk"))

    def parse(value: str) -> tuple[str, int | None]:
        if not value or value in ("0", "0.0"):
            return "", None
        try:
            code = int(float(value))
        except ValueError:
            found = titles.get(value.upper())
            if found is None:
                raise ValueError(value) from None
            code = found
        return str(code), category_ids.get(classes.get(code, ""))

    for slot in (1, 2, 3):
        name = f"product_{slot}"
        if name not in present:
            continue
        pairs = _Column(table.column(present[name])).convert(
            parse, outcome, present[name], ERR_PRODUCT
        )
        out[f"{name}_code"] = np.array([p[0] if p else "" for p in pairs], dtype=object)
        out[f"{name}_category_id"] = np.array([p[1] if p else None for p in pairs], dtype=object)
        outcome.unmapped_products += sum(1 for p in pairs.tolist() if p and p[0] and p[1] is None)


def _source_codes(kept: dict[str, np.ndarray], n: int) -> np.ndarray:
    """Each row's kept NEISS codes as JSON text (None when it has none)."""
    out = np.empty(n, dtype=object)
    if not kept:
        return out
    names = list(kept)
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    rows = zip(*(kept[k].tolist() for k in names), strict=True)
    for i, values in enumerate(rows):
        codes = {k: v for k, v in zip(names, values, strict=True) if v is not None}
        out[i] = dumps(codes) if codes else None
    return out


# --- writing ------------------------------------------------------------------------------

#: The table's columns in the order the rows are built.
_COLUMNS = [
    "source",
    "reporter_id",
    "case_number",
    "sex",
    "age_years",
    "age_months",
    "residence",
    "education",
    "occupation",
    "injury_date",
    "injury_hour",
    "visit_date",
    "visit_hour",
    "cause",
    "place",
    "intent",
    "activity",
    "nature",
    "body_part",
    "severity",
    "outcome",
    "product_1_code",
    "product_1_category_id",
    "product_2_code",
    "product_2_category_id",
    "product_3_code",
    "product_3_category_id",
    "narrative",
    "weight",
    "stratum",
    "psu",
    "source_codes",
    "created_by_id",
    "created_at",
]
_TEXT_DEFAULTS = {"product_1_code", "product_2_code", "product_3_code", "narrative"}


def _write(columns: dict[str, np.ndarray], outcome: NeissOutcome, actor: Any, name: str) -> None:
    stored = set(
        InjuryCase.objects.filter(source=Source.NEISS, reporter__isnull=True).values_list(
            "case_number", flat=True
        )
    )
    numbers = columns["case_number"]
    new = np.array([number not in stored for number in numbers.tolist()], dtype=bool)
    outcome.unchanged = int((~new).sum())
    outcome.created = int(new.sum())
    if outcome.created:
        sqlite = connection.vendor == "sqlite"
        now = timezone.now()
        constants: dict[str, Any] = {
            "source": Source.NEISS.value,
            "created_by_id": actor.pk if getattr(actor, "is_authenticated", False) else None,
            "created_at": connection.ops.adapt_datetimefield_value(now) if sqlite else now,
        }
        n = outcome.created
        lists: list[list[Any]] = []
        for column in _COLUMNS:
            if column in constants:
                lists.append([constants[column]] * n)
            elif column in columns:
                values = columns[column][new] if not new.all() else columns[column]
                if column == "visit_date" and sqlite:
                    lists.append([d.isoformat() for d in values.tolist()])
                else:
                    lists.append(values.tolist())
            else:
                lists.append([""] * n if column in _TEXT_DEFAULTS else [None] * n)
        _insert(zip(*lists, strict=True))
    audit_record(
        actor=actor,
        action="surveillance.neiss.import",
        object_type="surveillance.injurycase",
        object_repr=name[:255],
        after={
            "layout": outcome.layout,
            "rows": outcome.rows,
            "created": outcome.created,
            "unchanged": outcome.unchanged,
            "unmapped_products": outcome.unmapped_products,
        },
    )


def _batches(rows: Iterator[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert(rows: Iterator[tuple[Any, ...]]) -> None:
    qn = connection.ops.quote_name
    table = qn(InjuryCase._meta.db_table)
    names = ", ".join(qn(c) for c in _COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(_COLUMNS))})"
        for batch in _batches(rows):
            cursor.executemany(sql, batch)

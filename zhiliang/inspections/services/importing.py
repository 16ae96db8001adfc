"""``zhiliang inspections import FILE``: sampling results from CSV or XLSX.

The file streams row by row (a million rows never sit in memory); every row is checked
(``lib/samplerows.py``); rows are written in chunks inside one transaction that is rolled
back if any row of the file was wrong, so a rejected file writes nothing. ``sample_no``
is the key: a row equal to the stored sample changes nothing, a row that differs from it
is an error, never an overwrite. Parties not yet in the registry are registered from the
row and marked with the import that brought them in.

Large files are read and checked in a second process while this one writes. Samples go in
by one prepared statement per chunk (``executemany`` on SQLite, ``COPY`` on PostgreSQL)
rather than model instances; tallies and referrals follow by one SQL statement each.
``benchmarks/bench_inspections.py`` measures it against a bare bulk load (README).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from queue import Empty
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from zhiliang.accounts.access import has_role
from zhiliang.accounts.audit import audit_record
from zhiliang.inspections.access import IMPORTERS, writable_districts
from zhiliang.inspections.models import (
    ImportBatch,
    Laboratory,
    PassTally,
    ProductCategory,
    Referral,
    Sample,
)
from zhiliang.inspections.selectors import region_codes
from zhiliang.lib.samplerows import (
    FIELD_LABELS,
    HEADERS,
    REQUIRED_COLUMNS,
    SUGGESTIONS,
    RowError,
    RowValidator,
    SampleRow,
)
from zhiliang.lib.tablestream import TableError, TableStructureError, open_table
from zhiliang.registry.models import Division, Enterprise, Organisation

CHUNK = 2000
#: Errors kept for the report; a file with more shows the first ones and the count.
MAX_REPORTED = 10_000

ERR_CONFLICT = gettext_noop("抽样单编号 %(no)s 已存在，且以下内容与已存数据不同：%(fields)s")
ERR_TAKEN = gettext_noop("抽样单编号 %(no)s 已被其他区县的样品使用")
ERR_NOT_YOUR_DISTRICT = gettext_noop("无权导入%(district)s的抽样结果")
ERR_NO_ROWS = gettext_noop("文件中没有抽样数据")
ERR_CONCURRENT = gettext_noop(
    "部分抽样单编号正由另一次导入同时写入，本文件未写入任何数据，请稍后重新导入"
)
ERR_MISSING = gettext_noop("缺少必需的列：%(columns)s")
ERR_UNKNOWN = gettext_noop("无法识别的列：%(columns)s")
ERR_DUPLICATE_COLUMNS = gettext_noop("重复的列：%(columns)s")
SUGGEST = gettext_noop("“%(header)s”（是否应为“%(field)s”？）")

#: The columns a re-import compares with the stored sample: every checked field.
COMPARED = SampleRow._fields[1:]


@dataclass(frozen=True)
class ImportProblem:
    line: int  # 0 for the file as a whole
    field: str
    message: str

    @property
    def column(self) -> str:
        return _(FIELD_LABELS[self.field]) if self.field in FIELD_LABELS else ""


@dataclass
class ImportOutcome:
    rows: int = 0
    created: int = 0
    unchanged: int = 0
    parties_registered: int = 0
    problems: list[ImportProblem] = field(default_factory=list)
    problem_count: int = 0
    batch: ImportBatch | None = None

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def add(self, problem: ImportProblem) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_REPORTED:
            self.problems.append(problem)


class _Rejected(Exception):
    """Raised inside the transaction to undo everything written for a bad file."""


def _structure_message(exc: TableStructureError) -> str:
    def label(f: str) -> str:
        return _(FIELD_LABELS[f]) if f in FIELD_LABELS else f

    parts = []
    if exc.missing:
        parts.append(
            _(ERR_MISSING)
            % {
                "columns": "；".join(
                    f"{label(f)}（{' / '.join(exc.accepted[f])}）" for f in exc.missing
                )
            }
        )
    if exc.unknown:
        parts.append(
            _(ERR_UNKNOWN)
            % {
                "columns": "、".join(
                    _(SUGGEST) % {"header": h, "field": label(exc.suggested[h])}
                    if h in exc.suggested
                    else f"“{h}”"
                    for h in exc.unknown
                )
            }
        )
    if exc.duplicates:
        parts.append(
            _(ERR_DUPLICATE_COLUMNS)
            % {
                "columns": "；".join(
                    f"{label(f)}: {'、'.join(h)}" for f, h in exc.duplicates.items()
                )
            }
        )
    return "。".join(parts)


def _validator(today: dt.date) -> RowValidator:
    categories: dict[str, str] = {}
    by_name: dict[str, list[str]] = {}
    for code, name in ProductCategory.objects.order_by("code").values_list("code", "name"):
        categories[code] = code
        by_name.setdefault(name, []).append(code)
    for name, codes in by_name.items():
        if len(codes) == 1 and name not in categories:
            categories[name] = codes[0]
    # A name several catalogues share (家用电器及电器附件 in 2021 and 2023) needs its code.
    ambiguous = {name: codes for name, codes in by_name.items() if len(codes) > 1}
    city = frozenset(Division.objects.exclude(level="province").values_list("code", flat=True))
    return RowValidator(
        categories=categories,
        region_codes=region_codes(),
        city_regions=city,
        today=today,
        ambiguous=ambiguous,
    )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def samples_import(
    *,
    path: Path,
    file_name: str,
    actor: Any,
    plan: Any = None,
    today: dt.date | None = None,
) -> ImportOutcome:
    """Import sampling results; on any problem nothing is written and every problem is
    reported by row and column (the first ``MAX_REPORTED``). ``actor`` ``None`` is the
    system (the console command)."""
    if actor is not None and not has_role(actor, IMPORTERS):
        raise PermissionDenied
    outcome = ImportOutcome()
    try:
        table = open_table(path, HEADERS, REQUIRED_COLUMNS, SUGGESTIONS)
    except TableStructureError as exc:
        outcome.add(ImportProblem(0, "", _structure_message(exc)))
        return outcome
    except TableError as exc:
        outcome.add(ImportProblem(0, "", str(exc)))
        return outcome
    today = today or timezone.localdate()
    writer = _Writer(
        outcome=outcome,
        allowed=writable_districts(actor) if actor is not None else None,
        actor=actor,
        plan=plan,
        file_name=file_name,
    )
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            # 64 MB instead of 2 MB: a million rows go into the table and its indexes.
            cursor.execute("PRAGMA cache_size = -65536")
    checked = _checked_rows(table, _validator(today), writer.allowed)
    if path.stat().st_size >= PARALLEL_MIN_BYTES:
        checked = _in_second_process(checked)
    try:
        with transaction.atomic(), table:
            writer.start(file_sha256(path))
            for rows, problems, more in checked:
                writer.take(rows, problems, more)
            writer.finish()
            if not outcome.ok or (outcome.created == 0 and outcome.parties_registered == 0):
                # A bad file, or one that changes nothing: leave no trace.
                raise _Rejected
    except _Rejected:
        outcome.batch = None
    except TableError as exc:  # a decoding error met mid-file
        outcome.add(ImportProblem(0, "", str(exc)))
        outcome.batch = None
    except IntegrityError:
        # Another import wrote some of the same sample numbers at the same time.
        outcome.add(ImportProblem(0, "sample_no", _(ERR_CONCURRENT)))
        outcome.batch = None
    if outcome.ok and outcome.rows == 0:
        outcome.add(ImportProblem(0, "", _(ERR_NO_ROWS)))
    return outcome


#: Files at least this big are checked in a second process while this one writes: the
#: two cores then share the work (reading and checking ~60 %, writing ~40 % of a
#: million-row import). Smaller files are not worth starting a process for.
PARALLEL_MIN_BYTES = 4 << 20


#: A checked row as it travels between the processes and into the database: a plain
#: tuple in :class:`SampleRow` field order with the dates as ISO text (what SQLite stores
#: and PostgreSQL's COPY reads), which pickles several times faster than the named tuple.
Wire = tuple[Any, ...]
W = {name: i for i, name in enumerate(SampleRow._fields)}


def _wire(row: SampleRow) -> Wire:
    reported = row.reported_on
    return (
        *row[: W["sampled_on"]],
        row.sampled_on.isoformat(),
        *row[W["sampled_on"] + 1 : W["reported_on"]],
        reported.isoformat() if reported is not None else None,
    )


class _Chunk(list[tuple[int, Wire]]):
    """Checked rows of a chunk, and how many rows of it were rejected."""

    rejected = 0


_Checked = Iterator[tuple[_Chunk, list[ImportProblem], int]]


def _checked_rows(table: Any, validator: RowValidator, allowed: frozenset[str] | None) -> _Checked:
    """Read and check every row, yielding chunks of good rows with the problems found.
    Nothing here touches the database, so it can run in another process."""
    chunk = _Chunk()
    problems: list[ImportProblem] = []
    reported = more = 0
    for line, values in table:
        clean, errors = validator.check(line, values)
        if clean is not None and allowed is not None and clean.sampling_region not in allowed:
            errors = [
                RowError(line, "sampling_region", "_district", {"district": clean.sampling_region})
            ]
        if errors:
            chunk.rejected += 1
            for error in errors:
                if reported < MAX_REPORTED:
                    problems.append(_problem(error))
                    reported += 1
                else:
                    more += 1
        else:
            chunk.append((line, _wire(clean)))
        if len(chunk) + chunk.rejected >= CHUNK:
            yield chunk, problems, more
            chunk, problems, more = _Chunk(), [], 0
    yield chunk, problems, more


def _in_second_process(checked: _Checked) -> _Checked:
    """Run ``checked`` in a forked process and yield what it yields, in order. A bounded
    queue keeps at most a few chunks in flight, so memory stays flat."""
    context = multiprocessing.get_context("fork")
    queue: Any = context.Queue(maxsize=4)

    def produce() -> None:
        try:
            for item in checked:
                queue.put(("chunk", item))
            queue.put(("done", None))
        except TableError as exc:
            queue.put(("table_error", str(exc)))
        except BaseException as exc:  # reported to the parent, never swallowed
            queue.put(("crash", f"{type(exc).__name__}: {exc}"))

    process = context.Process(target=produce, daemon=True)
    process.start()
    try:
        while True:
            try:
                kind, item = queue.get(timeout=5)
            except Empty:
                if not process.is_alive():
                    raise RuntimeError("the import's checking process died") from None
                continue
            if kind == "chunk":
                yield item
            elif kind == "done":
                return
            elif kind == "table_error":
                raise TableError(item)
            else:
                raise RuntimeError(f"the import's checking process failed: {item}")
    finally:
        if process.is_alive():
            process.terminate()
        process.join()


class _Writer:
    def __init__(
        self,
        *,
        outcome: ImportOutcome,
        allowed: frozenset[str] | None,
        actor: Any,
        plan: Any,
        file_name: str,
    ) -> None:
        self.outcome = outcome
        self.allowed = allowed
        self.actor = actor if getattr(actor, "is_authenticated", False) else None
        self.plan = plan
        self.file_name = file_name
        self.pending: list[tuple[int, Wire]] = []
        self.after_id = Sample.objects.aggregate(m=Max("id"))["m"] or 0
        self.had_samples = bool(self.after_id)
        self.enterprises: dict[str, int] = {}
        self.labs: dict[str, int] = {}
        self.batch: ImportBatch | None = None

    def start(self, sha256: str) -> None:
        self.batch = ImportBatch.objects.create(
            file_name=self.file_name[:255], sha256=sha256, imported_by=self.actor
        )
        self.outcome.batch = self.batch
        # Stored data, so in Chinese whatever the official's interface language.
        self.via = f"抽查结果导入 #{self.batch.pk} {self.file_name}"

    def take(self, rows: _Chunk, problems: list[ImportProblem], more: int) -> None:
        """One chunk of checked rows, with the problems found in it (``more`` counts
        problems beyond the reported ones)."""
        self.outcome.rows += len(rows) + rows.rejected
        for problem in problems:
            self.outcome.add(problem)
        self.outcome.problem_count += more
        self.pending.extend(rows)
        if len(self.pending) >= CHUNK:
            self.flush()

    def finish(self) -> None:
        self.flush()
        if not self.outcome.ok or self.batch is None:
            return
        # The batch's samples all have ids above the largest before it began (one writer on
        # SQLite; on PostgreSQL the batch filter keeps out a concurrent import's rows).
        _tallies_for_batch(self.batch, self.after_id)
        created_referrals = _referrals_for_batch(self.batch, self.after_id)
        self.batch.rows = self.outcome.rows
        self.batch.created = self.outcome.created
        self.batch.unchanged = self.outcome.unchanged
        self.batch.parties_registered = self.outcome.parties_registered
        self.batch.save()
        audit_record(
            actor=self.actor,
            action="sample.import",
            obj=self.batch,
            object_repr=self.file_name[:255],
            after={
                "rows": self.outcome.rows,
                "created": self.outcome.created,
                "unchanged": self.outcome.unchanged,
                "parties_registered": self.outcome.parties_registered,
                "referrals": created_referrals,
                "sha256": self.batch.sha256,
            },
        )

    # --- one chunk ---------------------------------------------------------------------

    def flush(self) -> None:
        chunk, self.pending = self.pending, []
        if not chunk:
            return
        # Into a table that was empty when the import began, nothing can be stored yet
        # (a concurrent import of the same numbers would hit the unique index instead).
        stored = _stored_samples([r[0] for _line, r in chunk]) if self.had_samples else {}
        new: list[Wire] = []
        for line, row in chunk:
            found = stored.get(row[0])
            if found is None:
                new.append(row)
                continue
            if self.allowed is not None and found["sampling_region"] not in self.allowed:
                # Another district's sample: say the number is taken, never how it differs
                # (that would reveal its result).
                self.outcome.add(ImportProblem(line, "sample_no", _(ERR_TAKEN) % {"no": row[0]}))
                continue
            differing = [f for f in COMPARED if _comparable(row, f) != found[f]]
            if differing:
                self.outcome.add(
                    ImportProblem(
                        line,
                        differing[0],
                        _(ERR_CONFLICT)
                        % {
                            "no": row[0],
                            "fields": "、".join(_(FIELD_LABELS[f]) for f in differing),
                        },
                    )
                )
            else:
                self.outcome.unchanged += 1
        if not new or not self.outcome.ok:
            # Once the file is known to be bad, only checking continues.
            return
        self._parties(new)
        self._labs(new)
        self._insert(new)

    def _parties(self, rows: list[Wire]) -> None:
        wanted: dict[str, tuple[str, str]] = {}
        party, party_name, district = (
            W["sampled_party_uscc"],
            W["sampled_party_name"],
            W["sampling_region"],
        )
        maker, maker_name, region = W["producer_uscc"], W["producer_name"], W["producer_region"]
        known = self.enterprises
        for r in rows:
            if r[party] not in known:
                wanted.setdefault(r[party], (r[party_name], r[district]))
            if r[maker] and r[maker] not in known:
                wanted.setdefault(r[maker], (r[maker_name], r[region]))
        if not wanted:
            return
        self.enterprises.update(
            Enterprise.objects.filter(uscc__in=list(wanted)).values_list("uscc", "pk")
        )
        missing = [u for u in wanted if u not in self.enterprises]
        if not missing:
            return
        districts = set(Division.objects.values_list("code", flat=True))
        made = Enterprise.objects.bulk_create(
            [
                Enterprise(
                    uscc=u,
                    name=wanted[u][0][:200],
                    district_id=wanted[u][1] if wanted[u][1] in districts else None,
                    region=wanted[u][1],
                    registered_via=self.via[:200],
                )
                for u in missing
            ]
        )
        if any(e.pk is None for e in made):
            made = list(Enterprise.objects.filter(uscc__in=missing))
        self.enterprises.update((e.uscc, e.pk) for e in made)
        self.outcome.parties_registered += len(made)

    def _labs(self, rows: list[Wire]) -> None:
        lab = W["lab"]
        names = {r[lab] for r in rows if r[lab] and r[lab] not in self.labs}
        if not names:
            return
        self.labs.update(Laboratory.objects.filter(name__in=names).values_list("name", "pk"))
        for name in names - set(self.labs):
            self.labs[name] = Laboratory.objects.create(name=name[:200]).pk

    def _insert(self, rows: list[Wire]) -> None:
        assert self.batch is not None
        constants = (
            self.plan.pk if self.plan is not None else None,
            self.batch.pk,
            self.actor.pk if self.actor is not None else None,
        )
        if connection.vendor == "postgresql":
            ids = {
                "category": dict(ProductCategory.objects.values_list("code", "pk")),
                "enterprise": self.enterprises,
                "lab": self.labs,
            }
            _copy_wire(rows, constants, ids)
        else:
            _sqlite_insert_wire(rows, constants)
        self.outcome.created += len(rows)


def _problem(error: RowError) -> ImportProblem:
    if error.code == "_district":
        message = _(ERR_NOT_YOUR_DISTRICT) % error.params
    else:
        message = error.message(_)
    return ImportProblem(error.line, error.field, message)


def _comparable(row: Wire, name: str) -> str:
    value = row[W[name]]
    return "" if value is None else str(value)


def _stored_samples(numbers: list[str]) -> dict[str, dict[str, str]]:
    # Most chunks are all new: one index probe per number, with no ORM lookup building
    # (2,000 IN parameters cost ~10 ms through the ORM, ~2 ms raw) and no joins.
    table = connection.ops.quote_name(Sample._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT sample_no FROM {table} WHERE sample_no IN ({', '.join(['%s'] * len(numbers))})",
            numbers,
        )
        numbers = [n for (n,) in cursor.fetchall()]
    if not numbers:
        return {}
    rows = Sample.objects.filter(sample_no__in=numbers).values_list(
        "sample_no", *(_STORED[name] for name in COMPARED)
    )
    out: dict[str, dict[str, str]] = {}
    for number, *values in rows:
        out[number] = {
            name: (v.isoformat() if isinstance(v, dt.date) else ("" if v is None else str(v)))
            for name, v in zip(COMPARED, values, strict=True)
        }
    return out


# --- the raw insert ----------------------------------------------------------------------

#: Each column the import writes, the wire field its value comes from, and the lookup that
#: turns that value into an id (category code, credit code, laboratory name), if any.
#: The other columns keep their database defaults (empty text, not demo, created now).
_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("sample_no", "sample_no", ""),
    ("category", "category", "category"),
    ("product_name", "product_name", ""),
    ("model", "model", ""),
    ("batch", "batch", ""),
    ("sampled_party", "sampled_party_uscc", "enterprise"),
    ("sampled_party_name", "sampled_party_name", ""),
    ("sampled_party_role", "sampled_party_role", ""),
    ("producer", "producer_uscc", "enterprise"),
    ("producer_name", "producer_name", ""),
    ("producer_region", "producer_region", ""),
    ("sampling_district", "sampling_region", ""),
    ("channel", "channel", ""),
    ("sampled_on", "sampled_on", ""),
    ("lab", "lab", "lab"),
    ("conclusion", "conclusion", ""),
    ("failed_items", "failed_items", ""),
    ("report_no", "report_no", ""),
    ("reported_on", "reported_on", ""),
    ("final_conclusion", "conclusion", ""),  # no re-test yet
)
_LOOKUPS: dict[str, tuple[Any, str]] = {
    "category": (ProductCategory, "code"),
    "enterprise": (Enterprise, "uscc"),
    "lab": (Laboratory, "name"),
}
#: The per-file constants, written after the columns above.
_CONSTANTS = ("plan", "import_batch", "created_by")
#: Wire field → the ORM path of its stored value, for comparing a re-imported row.
_STORED = {
    wire: f"{column}__{_LOOKUPS[lookup][1]}" if lookup else column
    for column, wire, lookup in _COLUMNS
    if column not in ("sample_no", "final_conclusion")
}


def _column_list() -> str:
    qn = connection.ops.quote_name
    meta = Sample._meta
    return ", ".join(
        qn(meta.get_field(f).column) for f in (*(c for c, _w, _l in _COLUMNS), *_CONSTANTS)
    )


def _sqlite_insert_wire(rows: list[Wire], constants: tuple[int | None, ...]) -> None:
    """Insert wire rows with one prepared statement whose numbered parameters follow the
    wire order; ids are looked up by their unique keys inside SQLite (a B-tree probe in
    C) instead of rebuilding each row in Python. The constants go in as literals."""
    qn = connection.ops.quote_name

    def value(wire: str, lookup: str) -> str:
        param = f"?{W[wire] + 1}"
        if not lookup:
            return param
        model, key = _LOOKUPS[lookup]
        m = model._meta
        return (
            f"(SELECT {qn(m.pk.column)} FROM {qn(m.db_table)} "
            f"WHERE {qn(m.get_field(key).column)} = {param})"
        )

    values = [value(wire, lookup) for _c, wire, lookup in _COLUMNS]
    literals = ["NULL" if v is None else str(int(v)) for v in constants]
    sql = (
        f"INSERT INTO {qn(Sample._meta.db_table)} ({_column_list()}) "
        f"VALUES ({', '.join([*values, *literals])})"
    )
    try:
        connection.connection.executemany(sql, rows)
    except sqlite3.IntegrityError as exc:  # the raw driver's, not Django's wrapper
        raise IntegrityError(str(exc)) from exc


def _copy_wire(
    rows: list[Wire], constants: tuple[int | None, ...], ids: dict[str, dict[str, int]]
) -> None:
    """PostgreSQL: ``COPY`` the wire rows, ids looked up in this process's maps."""
    pick = itemgetter(*(W[wire] for _c, wire, _l in _COLUMNS))
    looked = [(i, ids[lookup]) for i, (_c, _w, lookup) in enumerate(_COLUMNS) if lookup]
    table = connection.ops.quote_name(Sample._meta.db_table)
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(f"COPY {table} ({_column_list()}) FROM STDIN") as copy:
            for r in rows:
                record = list(pick(r))
                for i, known in looked:
                    record[i] = known[record[i]] if record[i] else None
                copy.write_row((*record, *constants))


def _tallies_for_batch(batch: ImportBatch, after_id: int) -> None:
    """Add the batch's tested samples to the pass tallies in the database: one
    INSERT … SELECT … GROUP BY whose upsert adds to cells that exist (SQLite ≥ 3.24,
    PostgreSQL), instead of a Python counter of every cell (about 250 MB at a million
    rows) and two ORM queries per cell (95 % of the import's time)."""
    qn = connection.ops.quote_name
    tally, sample = PassTally._meta, Sample._meta
    keys = ["category", "sampling_district", "producer_region", "channel"]
    key_cols = ", ".join(qn(tally.get_field(k).column) for k in ["year", *keys])
    src_cols = ", ".join(qn(sample.get_field(k).column) for k in keys)
    sampled_on = qn(sample.get_field("sampled_on").column)
    final = qn(sample.get_field("final_conclusion").column)
    batch_col = qn(sample.get_field("import_batch").column)
    if connection.vendor == "postgresql":
        year = f"CAST(EXTRACT(YEAR FROM {sampled_on}) AS integer)"
    else:
        year = f"CAST(strftime('%%Y', {sampled_on}) AS integer)"
    table = qn(tally.db_table)
    tested, passed = qn("tested"), qn("passed")
    sql = (
        f"INSERT INTO {table} ({key_cols}, {tested}, {passed}) "
        f"SELECT {year}, {src_cols}, COUNT(*), SUM(CASE WHEN {final} = %s THEN 1 ELSE 0 END) "
        f"FROM {qn(sample.db_table)} WHERE {qn(sample.pk.column)} > %s "
        f"AND {batch_col} = %s AND {final} <> '' "
        f"GROUP BY 1, {src_cols} "
        f"ON CONFLICT ({key_cols}) DO UPDATE SET "
        f"{tested} = {table}.{tested} + EXCLUDED.{tested}, "
        f"{passed} = {table}.{passed} + EXCLUDED.{passed}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [Sample.Conclusion.PASS, after_id, batch.pk])


def _referrals_for_batch(batch: ImportBatch, after_id: int) -> int:
    """Open a trace-back referral for every failed sample of the batch whose producer is
    registered outside its sampling district: one INSERT … SELECT, not a save per sample.
    A producer in one of the city's districts goes to that district's government; one
    elsewhere gets an outgoing 协查函 record. Dated from the report that found the
    failure, like ``samples.referral_open`` (an import of last year's results must not
    date the referrals, and their replies, today)."""
    qn = connection.ops.quote_name
    r, s = Referral._meta, Sample._meta
    d, o = Division._meta, Organisation._meta

    def col(meta: Any, name: str) -> str:
        return qn(meta.get_field(name).column)

    region = f"s.{col(s, 'producer_region')}"
    sql = (
        f"INSERT INTO {qn(r.db_table)} ({col(r, 'sample')}, {col(r, 'kind')}, "
        f"{col(r, 'to_region')}, {col(r, 'to_organisation')}, {col(r, 'created_on')}, "
        f"{col(r, 'letter_no')}, {col(r, 'reply')}, {col(r, 'status')}) "
        f"SELECT s.{col(s, 'id')}, "
        f"CASE WHEN EXISTS (SELECT 1 FROM {qn(d.db_table)} d WHERE d.{col(d, 'code')} = {region}) "
        f"THEN %s ELSE %s END, {region}, "
        f"(SELECT MIN(o.{col(o, 'id')}) FROM {qn(o.db_table)} o "
        f"WHERE o.{col(o, 'division')} = {region} AND o.{col(o, 'kind')} = %s), "
        f"COALESCE(s.{col(s, 'reported_on')}, %s), '', '', %s "
        f"FROM {qn(s.db_table)} s WHERE s.{col(s, 'id')} > %s "
        f"AND s.{col(s, 'import_batch')} = %s "
        f"AND s.{col(s, 'final_conclusion')} = %s AND {region} <> '' "
        f"AND {region} <> s.{col(s, 'sampling_district')}"
    )
    params = [
        Referral.Kind.DISTRICT,
        Referral.Kind.OUTGOING,
        Organisation.Kind.DISTRICT,
        timezone.localdate(),
        Referral.Status.OPEN,
        after_id,
        batch.pk,
        Sample.Conclusion.FAIL,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount

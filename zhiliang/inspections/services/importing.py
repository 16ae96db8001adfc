"""``zhiliang inspections import FILE``: sampling results from CSV or XLSX.

The file streams in batches (a million rows never sit in memory); every row is checked;
rows are written inside one transaction that is rolled back if any row of the file was
wrong, so a rejected file writes nothing. ``sample_no`` is the key: a row equal to the
stored sample changes nothing, a row that differs from it is an error, never an
overwrite. Parties not yet in the registry are registered from the row and marked with
the import that brought them in.

Two readers give the same batches (Arrow tables of checked rows):

- a plain UTF-8 CSV is parsed and checked a column at a time (``lib/samplebatch.py``),
  which hands the rows it cannot accept as they stand to the row checker; a file it
  cannot read exactly (a line break inside a cell …) is rolled back and read again by
- the row reader (``lib/tablestream.py`` + ``lib/samplerows.py``), for XLSX and odd CSV,
  in a second process for big files.

Samples go in by ``COPY`` (PostgreSQL, one statement kept open across batches) or
``executemany`` (SQLite), not as model instances; tallies are counted as batches pass
and written at the end, referrals by one INSERT … SELECT. Big files that at least double
the table are bulk-loaded (``BULK_MIN_BYTES``). ``benchmarks/bench_inspections.py``
measures all this against a bare bulk load (README).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import hashlib
import io
import multiprocessing
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty, Full, Queue
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from psycopg.copy import QueuedLibpqWriter

from zhiliang.accounts.access import has_role
from zhiliang.accounts.audit import audit_record
from zhiliang.accounts.models import AuditEntry
from zhiliang.credit.models import CreditRecord
from zhiliang.credit.services import inspection_failures_record_imported
from zhiliang.importproblems import ImportOutcome as BaseOutcome
from zhiliang.importproblems import ImportProblem as BaseProblem
from zhiliang.importproblems import header_problem
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
from zhiliang.lib.samplebatch import NotColumnar, clean_table, read_checked
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
ERR_REFERENCE = gettext_noop(
    "数据库完整性检查未通过：导入的记录引用了不存在的数据。本文件未写入任何数据，请联系系统管理员"
)

#: The columns a re-import compares with the stored sample: every checked field.
COMPARED = SampleRow._fields[1:]


class ImportProblem(BaseProblem):
    labels = FIELD_LABELS


@dataclass
class ImportOutcome(BaseOutcome[ImportProblem]):
    """With the number of problems beyond the first ``MAX_REPORTED`` kept, the batch
    written and the time of each phase."""

    problem_count: int = 0
    batch: ImportBatch | None = None
    #: seconds spent per phase of a written file (``inspections import --stats``)
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def add(self, problem: ImportProblem) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_REPORTED:
            self.problems.append(problem)


class _BrokenReference(IntegrityError):
    """SQLite's key check after a bulk load found a row referring to nothing."""


class _Rejected(Exception):
    """Raised inside the transaction to undo everything written for a bad file."""


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
    _arrow_memory()
    today = today or timezone.localdate()
    allowed = writable_districts(actor) if actor is not None else None
    for columnar in (True, False):
        outcome = ImportOutcome()
        try:
            table = open_table(path, HEADERS, REQUIRED_COLUMNS, SUGGESTIONS)
        except TableStructureError as exc:
            outcome.add(ImportProblem(0, "", header_problem(exc, FIELD_LABELS)))
            return outcome
        except TableError as exc:
            outcome.add(ImportProblem(0, "", str(exc)))
            return outcome
        validator = _validator(today)
        check = _row_check(validator, allowed)
        if columnar:
            if table.kind != "csv" or path.stat().st_size < COLUMNAR_MIN_BYTES:
                table.close()
                continue
            table.close()
            batches = _in_thread(_columnar(path, table.columns, validator, check, allowed))
        else:
            batches = _checked_rows(table, check)
            if path.stat().st_size >= PARALLEL_MIN_BYTES:
                batches = _in_second_process(batches)
        try:
            return _write(path, file_name, outcome, batches, table, actor, allowed, plan)
        except NotColumnar:
            continue  # everything written so far was rolled back; read row by row
    raise AssertionError("the row-by-row reader always decides")  # pragma: no cover


def _arrow_memory() -> None:
    """Arrow's jemalloc pool gives freed batches back to the system (its default pool,
    mimalloc, held ~70 MB more at the peak of a million-row import)."""
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    except NotImplementedError:  # a pyarrow built without jemalloc
        return


def _write(
    path: Path,
    file_name: str,
    outcome: ImportOutcome,
    batches: _Checked,
    table: Any,
    actor: Any,
    allowed: frozenset[str] | None,
    plan: Any,
) -> ImportOutcome:
    writer = _Writer(
        outcome=outcome,
        allowed=allowed,
        actor=actor,
        plan=plan,
        file_name=file_name,
        file_bytes=path.stat().st_size,
    )
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            # Pages cached, in KiB: rows going into the table's indexes need many (64 MB
            # instead of SQLite's 2 MB); a bulk load without them needs few.
            cursor.execute(f"PRAGMA cache_size = {-16384 if writer.bulk else -65536}")
    unchecked = writer.bulk is not None and writer.bulk.keys_off()
    try:
        with transaction.atomic(), table, writer.copying():
            writer.start(path)
            for batch in batches:
                writer.take(batch)
            writer.finish()
            if not outcome.ok or (outcome.created == 0 and outcome.parties_registered == 0):
                # A bad file, or one that changes nothing: leave no trace.
                raise _Rejected
            committing = time.perf_counter()
        outcome.phases["commit"] = time.perf_counter() - committing
    except _Rejected:
        outcome.batch = None
    except TableError as exc:  # a decoding error met mid-file
        outcome.add(ImportProblem(0, "", str(exc)))
        outcome.batch = None
    except _BrokenReference:
        outcome.add(ImportProblem(0, "", _(ERR_REFERENCE)))
        outcome.batch = None
    except IntegrityError:
        # Another import wrote some of the same sample numbers at the same time.
        outcome.add(ImportProblem(0, "sample_no", _(ERR_CONCURRENT)))
        outcome.batch = None
    finally:
        if unchecked:
            writer.bulk.keys_on()  # type: ignore[union-attr]
    if outcome.ok and outcome.rows == 0:
        outcome.add(ImportProblem(0, "", _(ERR_NO_ROWS)))
    return outcome


#: CSV files at least this big are read and checked a column at a time
#: (``lib/samplebatch.py``, Apache Arrow); smaller ones, and XLSX files, row by row.
#: 0: every CSV (the tests of this module then cover that reader; some set it higher
#: to cover the other).
COLUMNAR_MIN_BYTES = 0

#: Files read row by row (XLSX, odd CSV) at least this big are checked in a second
#: process while this one writes: the two cores then share the work. (The column reader
#: runs in a thread of this process: its work is mostly Arrow's, outside the GIL, and one
#: process holds the import under 500 MB.)
PARALLEL_MIN_BYTES = 4 << 20

#: Files at least this big that would at least double the samples table are loaded the
#: way PostgreSQL's manual advises for bulk loads ("Populating a Database"): the
#: table's secondary indexes and foreign keys are dropped inside the import's
#: transaction and built again, exactly as they were, before it commits. A rejected
#: file rolls that back with everything else. On PostgreSQL the samples table is then
#: locked for the import's duration (readers wait, ~10 s for a million rows).
BULK_MIN_BYTES = 32 << 20
#: Bytes per row assumed when estimating a file's rows from its size (generated rows
#: take ~315; real ones with longer names more).
BULK_BYTES_PER_ROW = 250


@dataclass
class _Batch:
    """Checked rows (``lib.samplebatch.CLEAN_SCHEMA``) with the problems found in
    them (``more`` counts problems beyond the reported ones) and the rows read."""

    table: Any
    problems: list[ImportProblem]
    more: int
    rows: int


_Checked = Iterator[_Batch]
_RowCheck = Callable[[int, dict[str, str]], tuple[SampleRow | None, list[RowError]]]


def _row_check(validator: RowValidator, allowed: frozenset[str] | None) -> _RowCheck:
    """The validator's check, refusing rows of districts the importer may not write."""

    def check(line: int, values: dict[str, str]) -> tuple[SampleRow | None, list[RowError]]:
        clean, errors = validator.check(line, values)
        if clean is not None and allowed is not None and clean.sampling_region not in allowed:
            error = RowError(
                line, "sampling_region", "_district", {"district": clean.sampling_region}
            )
            return None, [error]
        return clean, errors

    return check


class _Reported:
    """Counts problems so that only the first ``MAX_REPORTED`` are turned into text."""

    def __init__(self) -> None:
        self.count = 0

    def take(self, errors: list[RowError]) -> tuple[list[ImportProblem], int]:
        room = max(0, MAX_REPORTED - self.count)
        self.count += len(errors)
        return [_problem(e) for e in errors[:room]], max(0, len(errors) - room)


def _columnar(
    path: Path,
    columns: list[str | None],
    validator: RowValidator,
    check: _RowCheck,
    allowed: frozenset[str] | None,
) -> _Checked:
    reported = _Reported()
    may_write = (lambda code: True) if allowed is None else allowed.__contains__
    for batch in read_checked(path, columns, validator, check, may_write):
        problems, more = reported.take(batch.errors)
        yield _Batch(batch.table, problems, more, batch.rows)


def _checked_rows(table: Any, check: _RowCheck) -> _Checked:
    """Read and check every row, yielding batches of good rows with the problems found.
    Nothing here touches the database, so it can run in another process."""
    reported = _Reported()
    good: list[tuple[int, SampleRow]] = []
    errors: list[RowError] = []
    rows = 0
    for line, values in table:
        clean, found = check(line, values)
        rows += 1
        if clean is not None:
            good.append((line, clean))
        errors.extend(found)
        if rows >= CHUNK:
            problems, more = reported.take(errors)
            yield _Batch(clean_table(good), problems, more, rows)
            good, errors, rows = [], [], 0
    problems, more = reported.take(errors)
    yield _Batch(clean_table(good), problems, more, rows)


def _in_thread(checked: _Checked) -> _Checked:
    """Run ``checked`` in a thread and yield what it yields, in order: Arrow's kernels
    and SQLite's inserts both release the GIL, so the checks of one batch overlap the
    writes of the one before (a bounded queue holds at most two batches)."""
    queue: Queue[tuple[str, Any]] = Queue(maxsize=2)
    stop = threading.Event()

    def put(item: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                queue.put(item, timeout=0.1)
                return True
            except Full:
                continue
        return False

    def produce() -> None:
        try:
            for batch in checked:
                if not put(("batch", batch)):
                    return
            put(("done", None))
        except BaseException as exc:  # handed to the consumer, never swallowed
            put(("error", exc))

    thread = threading.Thread(target=produce, name="import-checker", daemon=True)
    thread.start()
    try:
        while True:
            kind, item = queue.get()
            if kind == "batch":
                yield item
            elif kind == "done":
                return
            else:
                raise item
    finally:
        stop.set()
        thread.join()


def _in_second_process(checked: _Checked) -> _Checked:
    """Run ``checked`` in a forked process and yield what it yields, in order. A bounded
    queue keeps at most a few batches in flight, so memory stays flat."""
    context = multiprocessing.get_context("fork")
    queue: Any = context.Queue(maxsize=2)

    def produce() -> None:
        try:
            for item in checked:
                queue.put(("batch", item))
            queue.put(("done", None))
        except TableError as exc:
            queue.put(("table_error", str(exc)))
        except NotColumnar:
            queue.put(("not_columnar", None))
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
            if kind == "batch":
                yield item
            elif kind == "done":
                return
            elif kind == "table_error":
                raise TableError(item)
            elif kind == "not_columnar":
                raise NotColumnar
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
        file_bytes: int,
    ) -> None:
        self.outcome = outcome
        self.allowed = allowed
        self.actor = actor if getattr(actor, "is_authenticated", False) else None
        self.plan = plan
        self.file_name = file_name
        self.after_id = Sample.objects.aggregate(m=Max("id"))["m"] or 0
        self.had_samples = bool(self.after_id)
        self.enterprises: dict[str, int] = {}
        #: the credit codes of ``enterprises`` (and "") as an Arrow array, for is_in
        self.known_codes: Any = None
        self.labs: dict[str, int] = {}
        self.categories = dict(ProductCategory.objects.values_list("code", "pk"))
        self.tallies = _Tallies()
        self.batch: ImportBatch | None = None
        self.copy: Any = None  # the open COPY (PostgreSQL), kept open between batches
        self.copy_stack = contextlib.ExitStack()
        estimate = file_bytes // BULK_BYTES_PER_ROW
        self.bulk = (
            _BulkLoad(credit=_few_credit_records(estimate // 10))
            if file_bytes >= BULK_MIN_BYTES and estimate >= self.after_id
            else None
        )

    def start(self, path: Path) -> None:
        self.started = time.perf_counter()
        # The file's digest is computed beside the import (hashlib releases the GIL):
        # half a second for 300 MB.
        pool = concurrent.futures.ThreadPoolExecutor(1)
        self.sha256 = pool.submit(file_sha256, path)
        pool.shutdown(wait=False)
        self.batch = ImportBatch.objects.create(
            file_name=self.file_name[:255], sha256="", imported_by=self.actor
        )
        self.outcome.batch = self.batch
        # Stored data, so in Chinese whatever the official's interface language.
        self.via = f"抽查结果导入 #{self.batch.pk} {self.file_name}"
        if self.bulk is not None:
            self.bulk.drop()

    @contextlib.contextmanager
    def copying(self) -> Iterator[None]:
        """PostgreSQL: rows stream into one ``COPY`` that stays open from batch to batch
        (closed only when a batch needs a query, e.g. to register new parties), sent by
        psycopg's writer thread, so the server stores one batch while this process
        prepares the next. On an error the COPY is abandoned before the rollback."""
        try:
            yield
        except BaseException:
            self.copy_stack.__exit__(*sys.exc_info())
            raise
        self.end_copy()

    def end_copy(self) -> None:
        self.copy_stack.close()
        self.copy = None

    def _copy_rows(self, columns: list[Any]) -> None:
        if self.copy is None:
            cursor = self.copy_stack.enter_context(connection.cursor())
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            name = connection.ops.quote_name(Sample._meta.db_table)
            self.copy = self.copy_stack.enter_context(
                raw.copy(
                    f"COPY {name} ({_column_list()}) FROM STDIN WITH (FORMAT csv)",
                    writer=QueuedLibpqWriter(raw),
                )
            )
        self.copy.write(_csv_bytes(columns))

    def take(self, batch: _Batch) -> None:
        self.outcome.rows += batch.rows
        for problem in batch.problems:
            self.outcome.add(problem)
        self.outcome.problem_count += batch.more
        self.flush(batch.table)

    def finish(self) -> None:
        self.end_copy()
        if not self.outcome.ok or self.batch is None:
            return
        phases, clock = self.outcome.phases, time.perf_counter()
        phases["rows"] = clock - self.started

        def lap(name: str) -> None:
            nonlocal clock
            clock, phases[name] = time.perf_counter(), time.perf_counter() - clock

        if self.bulk is not None:
            self.bulk.restore(Sample)
            lap("indexes")
        _tallies_add(self.tallies)
        lap("tallies")
        # The batch's samples all have ids above the largest before it began (one writer on
        # SQLite; on PostgreSQL the batch filter keeps out a concurrent import's rows).
        with _failed_samples(self.batch, self.after_id) as failed:
            lap("failed")
            created_referrals = _referrals_for_batch(self.batch, self.after_id, samples=failed)
            lap("referrals")
            if self.bulk is not None:
                self.bulk.restore(Referral)
                lap("referral indexes")
            # Failures are credit records too (S15), as when a result is entered by hand.
            credit_records = inspection_failures_record_imported(
                self.batch, self.after_id, actor=self.actor, samples=failed
            )
            lap("credit")
            if self.bulk is not None:
                self.bulk.restore(CreditRecord)
                lap("credit indexes")
        self.batch.sha256 = self.sha256.result()
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
                "credit_records": credit_records,
                "sha256": self.batch.sha256,
            },
        )
        if self.bulk is not None:
            self.bulk.verify()
            lap("key check")

    # --- one batch ---------------------------------------------------------------------

    def flush(self, table: Any) -> None:
        if not table.num_rows:
            return
        # Into a table that was empty when the import began, nothing can be stored yet
        # (a concurrent import of the same numbers would hit the unique index instead).
        if self.had_samples:
            self.end_copy()
            numbers = table.column("sample_no")
            stored = _stored_samples(numbers.to_pylist())
            if stored:
                known = pc.is_in(numbers, pa.array(list(stored), pa.string()))
                for row in table.filter(known).to_pylist():
                    self._compare(row, stored[row["sample_no"]])
                table = table.filter(pc.invert(known))
        if not table.num_rows or not self.outcome.ok:
            # Once the file is known to be bad, only checking continues.
            return
        self._parties(table)
        self._labs(table)
        self._insert(table)

    def _compare(self, row: dict[str, Any], found: dict[str, str]) -> None:
        line, number = row["line"], row["sample_no"]
        if self.allowed is not None and found["sampling_region"] not in self.allowed:
            # Another district's sample: say the number is taken, never how it differs
            # (that would reveal its result).
            self.outcome.add(ImportProblem(line, "sample_no", _(ERR_TAKEN) % {"no": number}))
            return
        differing = [f for f in COMPARED if (row[f] or "") != found[f]]
        if differing:
            fields = "、".join(_(FIELD_LABELS[f]) for f in differing)
            self.outcome.add(
                ImportProblem(
                    line, differing[0], _(ERR_CONFLICT) % {"no": number, "fields": fields}
                )
            )
        else:
            self.outcome.unchanged += 1

    def _parties(self, table: Any) -> None:
        known = self.enterprises
        if self.known_codes is None:
            self.known_codes = pa.array(["", *known], pa.string())
        unknown = set()
        for name in ("sampled_party_uscc", "producer_uscc"):
            codes = pc.unique(table.column(name))
            unknown.update(codes.filter(pc.invert(pc.is_in(codes, self.known_codes))).to_pylist())
        if not unknown:
            return
        self.known_codes = None  # parties are added below
        self.end_copy()
        # The name and region a party is registered with come from its first row.
        pairs = pa.array(list(unknown), pa.string())
        rows = table.filter(
            pc.or_(
                pc.is_in(table.column("sampled_party_uscc"), pairs),
                pc.is_in(table.column("producer_uscc"), pairs),
            )
        ).select(
            [
                "sampled_party_uscc",
                "sampled_party_name",
                "sampling_region",
                "producer_uscc",
                "producer_name",
                "producer_region",
            ]
        )
        wanted: dict[str, tuple[str, str]] = {}
        for party, party_name, district, maker, maker_name, region in zip(
            *(c.to_pylist() for c in rows.columns), strict=True
        ):
            if party in unknown:
                wanted.setdefault(party, (party_name, district))
            if maker in unknown:
                wanted.setdefault(maker, (maker_name, region))
        known.update(Enterprise.objects.filter(uscc__in=list(wanted)).values_list("uscc", "pk"))
        missing = [u for u in wanted if u not in known]
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
        known.update((e.uscc, e.pk) for e in made)
        self.outcome.parties_registered += len(made)

    def _labs(self, table: Any) -> None:
        names = {n for n in pc.unique(table.column("lab")).to_pylist() if n} - set(self.labs)
        if not names:
            return
        self.end_copy()
        self.labs.update(Laboratory.objects.filter(name__in=names).values_list("name", "pk"))
        for name in names - set(self.labs):
            self.labs[name] = Laboratory.objects.create(name=name[:200]).pk

    def _insert(self, table: Any) -> None:
        assert self.batch is not None
        ids = {"category": self.categories, "enterprise": self.enterprises, "lab": self.labs}
        columns = [
            _ids(table.column(source), ids[lookup]) if lookup else table.column(source)
            for _column, source, lookup in _COLUMNS
        ]
        constants = (
            self.plan.pk if self.plan is not None else None,
            self.batch.pk,
            self.actor.pk if self.actor is not None else None,
        )
        if connection.vendor == "postgresql":
            n = table.num_rows
            self._copy_rows([*columns, *(pa.array([v] * n, pa.int64()) for v in constants)])
        else:
            _sqlite_insert(columns, constants)
        self.outcome.created += table.num_rows
        self.tallies.add(table)


def _ids(column: Any, known: dict[str, int]) -> Any:
    """The ids of a column of keys (each distinct key looked up once); "" → null."""
    encoded = column.combine_chunks().dictionary_encode()
    found = [known[key] if key else None for key in encoded.dictionary.to_pylist()]
    return pa.array(found, pa.int64()).take(encoded.indices)


class _BulkLoad:
    """Drops the secondary indexes (and, on PostgreSQL, the foreign keys) of the tables
    an import fills in bulk — samples and their referrals — before the first row goes
    in, and builds each table's again from their saved definitions once its rows are in,
    before the import commits (see ``BULK_MIN_BYTES``). Unique indexes stay: they are
    what refuses a sample number twice."""

    def __init__(self, *, credit: bool = False) -> None:
        #: the credit records too when the failures may well outnumber those there are
        self.tables: tuple[Any, ...] = (Sample, Referral) + ((CreditRecord,) if credit else ())
        #: PostgreSQL: tables whose unique constraints go too, rebuilt (and so checked
        #: again) before the import commits. The credit records qualify: the import makes
        #: one per new sample (unique sample numbers) and leaves out those another record
        #: holds, so nothing it writes can clash, and a unique index maintained row by
        #: row cost more than half of their INSERT (100,000 rows: 0.56 s with the
        #: indexes, 0.09 s without, 0.1 s to build the two unique ones afterwards).
        self.unique_too: tuple[Any, ...] = (CreditRecord,) if credit else ()
        self.saved: dict[str, list[str]] | None = None
        self.keys_were_off = False

    def keys_off(self) -> bool:
        """SQLite checks each row's foreign keys as it goes in (a fifth of the insert's
        time); its bulk-load equivalent of dropping them is to switch the checks off
        for the import, which SQLite allows only outside a transaction, and to run
        ``PRAGMA foreign_key_check`` before committing (:meth:`verify`). Inside a
        caller's transaction the checks stay on. True if they were switched off."""
        if connection.vendor != "sqlite" or connection.in_atomic_block:
            return False
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_keys = OFF")
        self.keys_were_off = True
        return True

    def keys_on(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_keys = ON")
        self.keys_were_off = False

    def drop(self) -> None:
        if self.saved is not None:
            return
        self.saved = {}
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # ALTER TABLE refuses tables with deferred checks pending (the referenced
                # tables too): run those checks now.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for model in self.tables:
                table = model._meta.db_table
                if connection.vendor == "postgresql":
                    cursor.execute(
                        "SELECT c.relname, pg_get_indexdef(c.oid) FROM pg_index x "
                        "JOIN pg_class c ON c.oid = x.indexrelid "
                        "WHERE x.indrelid = %s::regclass AND NOT x.indisunique "
                        "AND NOT x.indisprimary ORDER BY c.relname",
                        [table],
                    )
                    indexes = cursor.fetchall()
                    kinds = ["f", "u"] if model in self.unique_too else ["f"]
                    cursor.execute(
                        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                        "WHERE conrelid = %s::regclass AND contype = ANY(%s) ORDER BY conname",
                        [table, kinds],
                    )
                    keys = cursor.fetchall()
                    for name, _definition in keys:
                        cursor.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(name)}")
                else:
                    cursor.execute(
                        "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                        "AND tbl_name = %s AND sql IS NOT NULL "
                        "AND sql NOT LIKE 'CREATE UNIQUE%%' ORDER BY name",
                        [table],
                    )
                    indexes, keys = cursor.fetchall(), []
                for name, _definition in indexes:
                    cursor.execute(f"DROP INDEX {qn(name)}")
                self.saved[table] = [definition for _name, definition in indexes] + [
                    f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {definition}"
                    for name, definition in keys
                ]

    def verify(self) -> None:
        """After the import's last write: the checks :meth:`keys_off` skipped."""
        if self.keys_were_off:
            _foreign_key_check(also=self.tables)

    def restore(self, model: Any) -> None:
        statements = (self.saved or {}).pop(model._meta.db_table, [])
        if not statements:
            return
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                # Sort with a helper thread: the second core is free by now.
                cursor.execute("PRAGMA threads = 2")
            if connection.vendor == "postgresql":
                # Check the rows deferred so far (registered parties) before the table's
                # foreign keys come back, then defer again as Django expects.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for statement in statements:
                cursor.execute(statement)
            if connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _few_credit_records(than: int) -> bool:
    """Whether the credit records number at most ``than`` (a tenth of an import's rows:
    roughly its failures): then a bulk load drops their secondary index and key too."""
    return not CreditRecord.objects.order_by("pk")[than : than + 1].exists()


def _foreign_key_check(also: tuple[Any, ...] = ()) -> None:
    """SQLite: every row the import wrote must still have its referenced rows (in the
    tables it writes many rows to, ``also`` when they are small enough to check whole;
    the credit records it makes come from the samples checked here)."""
    written = [Sample, Enterprise, Laboratory, ImportBatch, PassTally, Referral, AuditEntry]
    written += [model for model in also if model not in written]
    with connection.cursor() as cursor:
        for model in written:
            cursor.execute(
                f"PRAGMA foreign_key_check({connection.ops.quote_name(model._meta.db_table)})"
            )
            broken = cursor.fetchall()
            if broken:
                raise _BrokenReference(f"foreign key check failed: {broken[:5]}")


def _problem(error: RowError) -> ImportProblem:
    if error.code == "_district":
        message = _(ERR_NOT_YOUR_DISTRICT) % error.params
    else:
        message = error.message(_)
    return ImportProblem(error.line, error.field, message)


def _stored_samples(numbers: list[str]) -> dict[str, dict[str, str]]:
    # Most batches are all new: one index probe per number, with no ORM lookup building
    # and no joins.
    table = connection.ops.quote_name(Sample._meta.db_table)
    found: list[str] = []
    with connection.cursor() as cursor:
        for start in range(0, len(numbers), CHUNK):
            part = numbers[start : start + CHUNK]
            cursor.execute(
                f"SELECT sample_no FROM {table} WHERE sample_no IN ({', '.join(['%s'] * len(part))})",
                part,
            )
            found += [n for (n,) in cursor.fetchall()]
    if not found:
        return {}
    out: dict[str, dict[str, str]] = {}
    for start in range(0, len(found), CHUNK):
        rows = Sample.objects.filter(sample_no__in=found[start : start + CHUNK]).values_list(
            "sample_no", *(_STORED[name] for name in COMPARED)
        )
        for number, *values in rows:
            out[number] = {
                name: (v.isoformat() if isinstance(v, dt.date) else ("" if v is None else str(v)))
                for name, v in zip(COMPARED, values, strict=True)
            }
    return out


# --- the raw insert ----------------------------------------------------------------------

#: Each column the import writes, the checked field its value comes from, and the lookup
#: that turns that value into an id (category code, credit code, laboratory name), if
#: any. The other columns keep their database defaults (empty text, not demo, created now).
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
#: Checked field → the ORM path of its stored value, for comparing a re-imported row.
_STORED = {
    source: f"{column}__{_LOOKUPS[lookup][1]}" if lookup else column
    for column, source, lookup in _COLUMNS
    if column not in ("sample_no", "final_conclusion")
}


def _column_list() -> str:
    qn = connection.ops.quote_name
    meta = Sample._meta
    return ", ".join(
        qn(meta.get_field(f).column) for f in (*(c for c, _s, _l in _COLUMNS), *_CONSTANTS)
    )


def _sqlite_insert(columns: list[Any], constants: tuple[int | None, ...]) -> None:
    """Insert the columns with one prepared statement; the constants go in as literals."""
    literals = ["NULL" if v is None else str(int(v)) for v in constants]
    marks = ["?"] * len(columns)
    sql = (
        f"INSERT INTO {connection.ops.quote_name(Sample._meta.db_table)} ({_column_list()}) "
        f"VALUES ({', '.join([*marks, *literals])})"
    )
    try:
        for rows in _row_slices(columns):
            connection.connection.executemany(sql, rows)
    except sqlite3.IntegrityError as exc:  # the raw driver's, not Django's wrapper
        raise IntegrityError(str(exc)) from exc


def _row_slices(columns: list[Any], size: int = 4096) -> Iterator[Iterator[tuple[Any, ...]]]:
    """The rows of Arrow columns as tuples, a slice at a time (a whole batch as Python
    objects at once cost ~100 MB)."""
    for start in range(0, len(columns[0]), size):
        yield zip(*(c.slice(start, size).to_pylist() for c in columns), strict=True)


def _csv_bytes(columns: list[Any]) -> memoryview:
    """Arrow columns as CSV for PostgreSQL's ``COPY … (FORMAT csv)``: nulls unquoted and
    every value quoted, so an empty text stays empty."""
    table = pa.Table.from_arrays(columns, names=[f"c{i}" for i in range(len(columns))])
    sink = io.BytesIO()
    pa_csv.write_csv(
        table,
        sink,
        write_options=pa_csv.WriteOptions(include_header=False, quoting_style="all_valid"),
    )
    return sink.getbuffer()


#: A pass-tally cell (``PassTally``'s key) as Arrow columns.
_TALLY_KEY = ["year", "category", "place", "region", "channel"]
#: Place → the checked field that gives its region.
_PLACE_FIELDS = {
    PassTally.Place.SAMPLED: "sampling_region",
    PassTally.Place.MADE: "producer_region",
}


class _Tallies:
    """Tested and passed counts per tally cell of the rows written. Each row's two cells
    are packed into 64-bit keys as batches go in (a few milliseconds a batch) and
    counted once at the end with NumPy, which also orders the cells by key."""

    #: Bits per string id in a key (category code, region, channel): ample for the
    #: catalogue and every GB/T 2260 code, which the checker has already vetted.
    BITS = 13

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.keys: list[np.ndarray] = []
        self.passed: list[np.ndarray] = []

    def _ids(self, column: Any) -> np.ndarray:
        encoded = column.combine_chunks().dictionary_encode()
        ids = self.ids
        found = [ids.setdefault(v, len(ids)) for v in encoded.dictionary.to_pylist()]
        if len(ids) >= 1 << self.BITS:
            raise ValueError("too many distinct tally values")
        return np.asarray(found, np.int64)[encoded.indices.to_numpy(zero_copy_only=False)]

    def add(self, table: Any) -> None:
        # Imported rows have no re-test: the final conclusion is the conclusion.
        tested = table.filter(pc.not_equal(table.column("conclusion"), ""))
        if not tested.num_rows:
            return
        year = pc.cast(pc.utf8_slice_codeunits(tested.column("sampled_on"), 0, 4), pa.int64())
        shift = self.BITS
        head = (year.to_numpy() << shift | self._ids(tested.column("category"))) << shift
        channel = self._ids(tested.column("channel"))
        passed = pc.equal(tested.column("conclusion"), Sample.Conclusion.PASS).to_numpy(
            zero_copy_only=False
        )
        for bit, source in enumerate(_PLACE_FIELDS.values()):
            region = self._ids(tested.column(source))
            self.keys.append((((head | region) << shift | channel) << 1) | bit)
            self.passed.append(passed)

    def total(self) -> Any:
        """All cells as a table in key order (the order they go into the database)."""
        if not self.keys:
            return None
        keys, inverse = np.unique(np.concatenate(self.keys), return_inverse=True)
        passed = np.bincount(inverse, weights=np.concatenate(self.passed)).astype(np.int64)
        tested = np.bincount(inverse).astype(np.int64)
        text = np.array(sorted(self.ids, key=self.ids.__getitem__), dtype=object)
        mask = (1 << self.BITS) - 1
        shift = self.BITS
        places = np.array([str(p) for p in _PLACE_FIELDS], dtype=object)
        return pa.table(
            {
                "year": keys >> (3 * shift + 1),
                "category": text[(keys >> (2 * shift + 1)) & mask],
                "place": places[keys & 1],
                "region": text[(keys >> (shift + 1)) & mask],
                "channel": text[(keys >> 1) & mask],
                "tested": tested,
                "passed": passed,
            }
        )


def _tallies_add(tallies: _Tallies) -> None:
    """Add the counts to the pass tallies: the cells go into a temporary table, from
    which existing cells are updated and new ones inserted."""
    cells = tallies.total()
    if cells is None:
        return
    categories = dict(ProductCategory.objects.values_list("code", "pk"))
    cells = cells.set_column(1, "category", _ids(cells.column("category"), categories))
    qn = connection.ops.quote_name
    tally = PassTally._meta
    keys = _TALLY_KEY
    key_cols = ", ".join(qn(tally.get_field(k).column) for k in keys)
    table = qn(tally.db_table)
    tested, passed = qn("tested"), qn("passed")
    staging = qn("zhiliang_import_tally")
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {staging}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {staging} (y integer, c integer, pl varchar(8), "
            "r varchar(12), ch varchar(16), t integer, p integer)"
        )
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {staging} FROM STDIN WITH (FORMAT csv)") as copy:
                copy.write(_csv_bytes(cells.columns))
        else:
            for rows in _row_slices(cells.columns):
                connection.connection.executemany(
                    f"INSERT INTO {staging} VALUES (?, ?, ?, ?, ?, ?, ?)", rows
                )
        if connection.vendor == "postgresql":
            # Other services add to cells too: nobody else may create one until commit.
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        # Add to the cells that exist, then insert the others (a plain INSERT is about
        # twice as fast as an upsert on PostgreSQL).
        cols = [qn(tally.get_field(k).column) for k in keys]
        same = " AND ".join(
            f"{table}.{c} = s.{k}" for c, k in zip(cols, ["y", "c", "pl", "r", "ch"], strict=True)
        )
        cursor.execute(
            f"UPDATE {table} SET {tested} = {tested} + s.t, {passed} = {passed} + s.p "
            f"FROM {staging} s WHERE {same}"
        )
        cursor.execute(
            f"INSERT INTO {table} ({key_cols}, {tested}, {passed}) "
            f"SELECT s.y, s.c, s.pl, s.r, s.ch, s.t, s.p FROM {staging} s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} WHERE {same})"
        )
        cursor.execute(f"DROP TABLE {staging}")


@contextmanager
def _failed_samples(batch: ImportBatch, after_id: int) -> Iterator[str]:
    """The batch's failed samples copied into a temporary table of the samples table's
    columns: the referrals and the credit records both read them, and a scan of the
    (perhaps million-row) samples table is done once, not twice."""
    name = "zl_import_failed"
    table = connection.ops.quote_name(Sample._meta.db_table)
    s = Sample._meta
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE {name} AS SELECT * FROM {table} "
            f"WHERE {s.get_field('id').column} > %s AND {s.get_field('import_batch').column} = %s "
            f"AND {s.get_field('final_conclusion').column} = %s",
            [after_id, batch.pk, Sample.Conclusion.FAIL],
        )
        try:
            yield name
        finally:
            cursor.execute(f"DROP TABLE {name}")


def _referrals_for_batch(batch: ImportBatch, after_id: int, *, samples: str = "") -> int:
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
    # One join each for the district and its government, not a subquery per sample.
    sql = (
        f"INSERT INTO {qn(r.db_table)} ({col(r, 'sample')}, {col(r, 'kind')}, "
        f"{col(r, 'to_region')}, {col(r, 'to_organisation')}, {col(r, 'created_on')}, "
        f"{col(r, 'letter_no')}, {col(r, 'reply')}, {col(r, 'status')}) "
        f"SELECT s.{col(s, 'id')}, "
        f"CASE WHEN d.{col(d, 'code')} IS NOT NULL THEN %s ELSE %s END, {region}, "
        f"g.first_id, COALESCE(s.{col(s, 'reported_on')}, %s), '', '', %s "
        f"FROM {samples or qn(s.db_table)} s "
        f"LEFT JOIN {qn(d.db_table)} d ON d.{col(d, 'code')} = {region} "
        f"LEFT JOIN (SELECT o.{col(o, 'division')} AS division, MIN(o.{col(o, 'id')}) AS first_id "
        f"FROM {qn(o.db_table)} o WHERE o.{col(o, 'kind')} = %s "
        f"GROUP BY o.{col(o, 'division')}) g ON g.division = {region} "
        f"WHERE s.{col(s, 'id')} > %s "
        f"AND s.{col(s, 'import_batch')} = %s "
        f"AND s.{col(s, 'final_conclusion')} = %s AND {region} <> '' "
        f"AND {region} <> s.{col(s, 'sampling_district')}"
    )
    params = [
        Referral.Kind.DISTRICT,
        Referral.Kind.OUTGOING,
        timezone.localdate(),
        Referral.Status.OPEN,
        Organisation.Kind.DISTRICT,
        after_id,
        batch.pk,
        Sample.Conclusion.FAIL,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount

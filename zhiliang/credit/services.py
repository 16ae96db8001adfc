"""Writing credit records and keeping each enterprise's risk class in step with them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import itertools
import json
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from zhiliang.accounts.audit import audit_record
from zhiliang.credit.access import require_record_writer
from zhiliang.credit.models import CreditRecord, Listing, RiskAssessment
from zhiliang.lib.creditrules import (
    CLASSES,
    Kind,
    RiskClass,
    RiskModel,
    Sector,
    publicity,
    score_many,
)
from zhiliang.lib.samplerows import EARLIEST_DATE
from zhiliang.registry.models import Enterprise
from zhiliang.registry.selectors import organisations_named

ERR_HEAVIER_NOT_PENALTY = gettext_noop("只有行政处罚可以标记为较重处罚。")
ERR_FUTURE = gettext_noop("决定日期不能晚于今天。")
ERR_TOO_EARLY = gettext_noop("决定日期不能早于 %(earliest)s，请检查年份。")
ERR_PUBLISHED_BEFORE = gettext_noop("公示日期不能早于决定日期。")
ERR_DUPLICATE = gettext_noop("来源单位“%(source)s”的决定文书号“%(no)s”已有记录。")
ERR_EMPTY = gettext_noop("%(what)s必须填写。")


def risk_model() -> RiskModel:
    """The model in force. Its parameters are this project's defaults (no national
    figures are published; DOMAIN.md §2.1); a city changes them here."""
    return RiskModel()


def model_digest(model: RiskModel) -> str:
    """A short digest of the model's parameters, stored with every class it gives."""
    params: dict[str, Any] = {f.name: getattr(model, f.name) for f in dataclasses.fields(model)}
    params["points"] = {str(k): v for k, v in sorted(model.points.items())}
    text = json.dumps(params, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@transaction.atomic
def record_create(
    *,
    actor: Any,
    enterprise: Enterprise,
    kind: str,
    document_no: str,
    decided_on: dt.date,
    source_name: str,
    source: Any = None,
    heavier: bool = False,
    light: bool = False,
    summary: str = "",
    sector: str = Sector.GENERAL,
    published_on: dt.date | None = None,
    today: dt.date | None = None,
) -> CreditRecord:
    """Record a decision about an enterprise, with its public term if it is a penalty
    (Order 45), and reclassify the enterprise at once. ``source`` is, unless given, the
    organisation whose full name is the source name, if there is one."""
    require_record_writer(actor, enterprise)
    today = today or timezone.localdate()
    kind = Kind(kind)
    errors: dict[str, str] = {}
    if not document_no.strip():
        errors["document_no"] = _(ERR_EMPTY) % {"what": _("决定文书号")}
    if not source_name.strip():
        errors["source_name"] = _(ERR_EMPTY) % {"what": _("来源单位")}
    if heavier and kind != Kind.PENALTY:
        errors["heavier"] = _(ERR_HEAVIER_NOT_PENALTY)
    if decided_on > today:
        errors["decided_on"] = _(ERR_FUTURE)
    elif decided_on < EARLIEST_DATE:
        errors["decided_on"] = _(ERR_TOO_EARLY) % {"earliest": EARLIEST_DATE.isoformat()}
    if published_on is not None and published_on < decided_on:
        errors["published_on"] = _(ERR_PUBLISHED_BEFORE)
    document_no, source_name = document_no.strip(), source_name.strip()
    if CreditRecord.objects.filter(source_name=source_name, document_no=document_no).exists():
        errors["document_no"] = _(ERR_DUPLICATE) % {"source": source_name, "no": document_no}
    if errors:
        raise ValidationError(errors)
    if source is None:
        source = organisations_named([source_name]).get(source_name)
    public_until = public_until_of(kind, decided_on, published_on, light)
    record = CreditRecord.objects.create(
        enterprise=enterprise,
        kind=kind,
        heavier=heavier,
        light=light,
        document_no=document_no,
        decided_on=decided_on,
        source_name=source_name,
        source=source,
        summary=summary,
        sector=sector,
        published_on=published_on,
        public_until=public_until,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_record(
        actor=actor,
        action="credit.record.create",
        obj=record,
        after={
            "enterprise": enterprise.uscc,
            "kind": kind.value,
            "heavier": heavier,
            "document_no": document_no,
            "decided_on": decided_on.isoformat(),
            "source": source_name,
            "public_until": public_until.isoformat() if public_until else None,
        },
    )
    classify_enterprise(enterprise, today=today)
    return record


def public_until_of(
    kind: str, decided_on: dt.date, published_on: dt.date | None, light: bool
) -> dt.date | None:
    """The last day a record is public: penalties per Order 45; other kinds are shared
    between departments, not published by this system."""
    if kind != Kind.PENALTY:
        return None
    return publicity(decided_on=decided_on, published_on=published_on, light=light).end


_KINDS = list(Kind)


def _kind_code_sql() -> str:
    """SQL giving a record's kind as its position in :class:`Kind` (what ``score_many``
    takes), so that the nightly read moves integers, not texts."""
    whens = " ".join(f"WHEN '{k.value}' THEN {i}" for i, k in enumerate(_KINDS))
    return f"CASE kind {whens} END"


def _day_sql() -> str:
    """SQL giving ``decided_on`` as a proleptic Gregorian ordinal (``date.toordinal()``)."""
    if connection.vendor == "postgresql":
        return "(decided_on - DATE '0001-01-01' + 1)"
    return "CAST(julianday(decided_on) - 1721424.5 AS INTEGER)"


def _int_columns(sql: str, params: list[Any], columns: int) -> np.ndarray:
    """The rows of a query of integer columns as one (rows × columns) array. PostgreSQL
    sends them by ``COPY … TO STDOUT`` read by Arrow; SQLite's rows are read in C order."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            query = connection.ops.compose_sql(sql, params) if params else sql
            buffer = io.BytesIO()
            with cursor.cursor.copy(f"COPY ({query}) TO STDOUT") as copy:
                for block in copy:
                    buffer.write(block)
            if not buffer.tell():
                return np.empty((0, columns), dtype=np.int64)
            buffer.seek(0)
            table = pa_csv.read_csv(
                buffer,
                read_options=pa_csv.ReadOptions(
                    column_names=[f"c{i}" for i in range(columns)], block_size=1 << 24
                ),
                parse_options=pa_csv.ParseOptions(delimiter="\t"),
                convert_options=pa_csv.ConvertOptions(
                    column_types={f"c{i}": pa.int64() for i in range(columns)}
                ),
            )
            return np.column_stack([table.column(i).to_numpy() for i in range(columns)]).astype(
                np.int64
            )
        cursor.execute(sql, params)
        flat = np.fromiter(itertools.chain.from_iterable(cursor), dtype=np.int64)
        return flat.reshape(-1, columns)


def _records_sql(where: str) -> str:
    return (
        f"SELECT enterprise_id, id, {_kind_code_sql()}, {_day_sql()},"
        f" CASE WHEN heavier THEN 1 ELSE 0 END"
        f" FROM {CreditRecord._meta.db_table} WHERE {where}"
    )


def _listed(ids: list[int] | None, today: dt.date) -> set[int]:
    """The enterprises (of these, or of all) on the 严重违法失信名单 today."""
    rows = Listing.objects.in_force(today)
    if ids is not None:
        rows = rows.filter(enterprise_id__in=ids)
    return set(rows.values_list("enterprise_id", flat=True))


@dataclass(frozen=True)
class _Classes:
    """Classes of some enterprises, aligned arrays."""

    enterprises: np.ndarray
    classes: np.ndarray  # 0–3 for A–D
    scores: np.ndarray

    def counts(self) -> dict[str, int]:
        tally = np.bincount(self.classes, minlength=len(CLASSES))
        return {c.value: int(n) for c, n in zip(CLASSES, tally, strict=True)}


def _classes_of(
    ids: np.ndarray,
    records: np.ndarray,
    *,
    listed: Iterable[int],
    today: dt.date,
    model: RiskModel,
) -> _Classes:
    """Every one of ``ids`` classed from its ``records`` (rows: enterprise, id, kind,
    day, heavier). An enterprise with no counted record is A with 0 points; one on the
    严重违法失信名单 is D (a key supervision target, Order 44) whatever its points."""
    scored = score_many(
        records[:, 0],
        records[:, 2],
        records[:, 3],
        records[:, 4].astype(bool),
        records[:, 1],
        today=today,
        model=model,
    )
    ids = np.unique(ids)
    at = np.searchsorted(ids, scored.enterprises)
    classes = np.zeros(len(ids), dtype=np.int64)
    scores = np.zeros(len(ids), dtype=np.float64)
    classes[at], scores[at] = scored.classes, scored.scores
    classes[np.isin(ids, np.fromiter(listed, dtype=np.int64))] = CLASSES.index(RiskClass.D)
    return _Classes(ids, classes, scores)


def _store(found: _Classes, *, today: dt.date, digest: str, replace_all: bool = False) -> None:
    """Store these classes, in bulk. ``replace_all`` (the nightly run): every stored class
    goes and these replace them. Otherwise each enterprise's class is inserted or updated
    in place (two reclassifications of one enterprise at once do not collide)."""
    table = RiskAssessment._meta.db_table
    letters = np.array([c.value for c in CLASSES])[found.classes]
    rows = zip(
        found.enterprises.tolist(),
        letters.tolist(),
        found.scores.tolist(),
        itertools.repeat(today),
        itertools.repeat(digest),
        strict=False,
    )
    columns = "enterprise_id, risk_class, score, assessed_on, model"
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if not replace_all:
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s) "
                "ON CONFLICT (enterprise_id) DO UPDATE SET risk_class = excluded.risk_class, "
                "score = excluded.score, assessed_on = excluded.assessed_on, "
                "model = excluded.model",
                list(rows),
            )
            return
        cursor.execute(f"DELETE FROM {table}")
        if postgres:
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s)", list(rows)
            )


@contextmanager
def _id_table(ids: list[int]) -> Iterator[str]:
    """A temporary table of these ids, to select by join rather than by long IN lists."""
    name = "zl_classify_ids"
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE {name} (id {'bigint' if postgres else 'integer'} PRIMARY KEY)"
        )
        try:
            if postgres:
                with cursor.cursor.copy(f"COPY {name} (id) FROM STDIN") as copy:
                    for i in ids:
                        copy.write_row((i,))
                cursor.execute(f"ANALYZE {name}")
            else:
                cursor.executemany(f"INSERT INTO {name} (id) VALUES (%s)", [(i,) for i in ids])
            yield name
        finally:
            cursor.execute(f"DROP TABLE {name}")


def classify_enterprise(
    enterprise: Enterprise, *, today: dt.date | None = None, model: RiskModel | None = None
) -> RiskAssessment:
    """Recompute one enterprise's class from its records (a new record calls this)."""
    classify_enterprises([enterprise.pk], today=today or timezone.localdate(), model=model)
    return RiskAssessment.objects.get(enterprise=enterprise)


def classify_all(
    *,
    today: dt.date | None = None,
    model: RiskModel | None = None,
    phases: dict[str, float] | None = None,
) -> dict[str, int]:
    """Recompute every enterprise's class (``zhiliang credit classify``, nightly): those
    with records, and those assessed before whose records have since gone. Records are
    read once, as integers, and only those within the model's horizon; the classes are
    written in bulk. Returns the number of enterprises per class; ``phases`` receives
    the seconds each step took."""
    today = today or timezone.localdate()
    model = model or risk_model()
    digest = model_digest(model)
    phases = {} if phases is None else phases
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        clock, phases[name] = time.perf_counter(), time.perf_counter() - clock

    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Before reading: a record saved during the run then reclassifies its
            # enterprise after the run's classes are in (its write waits for this lock),
            # or was committed before the run read the records.
            with connection.cursor() as cursor:
                cursor.execute(
                    f"LOCK TABLE {RiskAssessment._meta.db_table} IN SHARE ROW EXCLUSIVE MODE"
                )
        ids = _int_columns(
            f"SELECT DISTINCT enterprise_id FROM {CreditRecord._meta.db_table}"
            f" UNION SELECT enterprise_id FROM {RiskAssessment._meta.db_table}",
            [],
            1,
        )[:, 0]
        lap("enterprises")
        records = _int_columns(
            _records_sql("decided_on >= %s AND decided_on <= %s"),
            [today - dt.timedelta(days=model.horizon_days), today],
            5,
        )
        lap("records")
        found = _classes_of(ids, records, listed=_listed(None, today), today=today, model=model)
        del records
        lap("score")
        _store(found, today=today, digest=digest, replace_all=True)
        lap("store")
        counts = found.counts()
    lap("commit")
    audit_record(
        actor=None,
        action="credit.classify",
        object_type="credit.riskassessment",
        object_repr=f"{len(found.enterprises)} enterprises",
        after={"counts": counts, "assessed_on": today.isoformat(), "model": digest},
    )
    return counts


def classify_enterprises(
    ids: list[int], *, today: dt.date, model: RiskModel | None = None
) -> dict[str, int]:
    """Recompute the classes of these enterprises (after a record or an import touched
    them); the number per class. A few are selected by their ids, many (an import's) by
    a join with a temporary table of them."""
    model = model or risk_model()
    ids = sorted(set(ids))
    with transaction.atomic():
        if len(ids) <= _FEW:
            where = f"enterprise_id IN ({', '.join(['%s'] * len(ids))})" if ids else "1 = 0"
            found = _classify_where(where, ids, ids, _listed(ids, today), today, model)
        else:
            with _id_table(ids) as table:
                where = f"enterprise_id IN (SELECT id FROM {table})"
                found = _classify_where(where, [], ids, _listed(None, today), today, model)
    return found.counts()


#: Up to this many enterprises are selected by a list of their ids.
_FEW = 500


def _classify_where(
    where: str,
    params: list[Any],
    ids: list[int],
    listed: set[int],
    today: dt.date,
    model: RiskModel,
) -> _Classes:
    records = _int_columns(_records_sql(where), params, 5)
    found = _classes_of(
        np.array(ids, dtype=np.int64), records, listed=listed, today=today, model=model
    )
    _store(found, today=today, digest=model_digest(model))
    return found


def risk_classes(enterprise_ids: list[int]) -> dict[int, str]:
    """The class of each of these enterprises that has one (for the sampling draw)."""
    return dict(
        RiskAssessment.objects.filter(enterprise_id__in=enterprise_ids).values_list(
            "enterprise_id", "risk_class"
        )
    )


# --- from the sampling system ---------------------------------------------------------------

#: Source of records the sampling system creates when its own unit is not known.
SAMPLING_SOURCE = "监督抽查"


def inspection_failure_record(sample: Any, *, actor: Any = None) -> CreditRecord:
    """A sample's final conclusion became 不合格: record it against the enterprise
    responsible for the product's quality (the nominal producer, 产品质量法 Art. 26; the
    sampled party when the label names none) and reclassify that enterprise."""
    enterprise = sample.producer or sample.sampled_party
    decided_on = sample.reported_on or timezone.localdate()
    organiser = sample.plan.organiser.name if sample.plan_id else SAMPLING_SOURCE
    record, made = CreditRecord.objects.get_or_create(
        sample=sample,
        defaults={
            "enterprise": enterprise,
            "kind": Kind.INSPECTION_FAILURE,
            # The 抽样单编号 is unique; report numbers are each lab's own and may repeat.
            "document_no": sample.sample_no,
            "decided_on": decided_on,
            "source_name": organiser,
            "source": sample.plan.organiser if sample.plan_id else None,
            "summary": (
                f"{sample.product_name}：{sample.failed_items}（检验报告 {sample.report_no}）"
            )[:1000],
            "created_by": actor if getattr(actor, "is_authenticated", False) else None,
        },
    )
    if made:
        audit_record(
            actor=actor,
            action="credit.record.create",
            obj=record,
            after={
                "enterprise": enterprise.uscc,
                "kind": record.kind,
                "sample": sample.sample_no,
                "document_no": record.document_no,
            },
        )
        classify_enterprise(enterprise, today=max(decided_on, timezone.localdate()))
    return record


def inspection_failures_record_imported(
    batch: Any,
    after_id: int,
    *,
    actor: Any = None,
    today: dt.date | None = None,
    samples: str = "",
) -> int:
    """The failed samples a bulk import wrote (ids above ``after_id`` in ``batch``):
    the same records :func:`inspection_failure_record` makes one by one, written by one
    INSERT … SELECT, audited as one entry naming the batch, and their enterprises
    reclassified. A record another path already holds under the same source and
    document number is left as it is. ``samples`` names a table of the samples table's
    columns holding (at least) them, if the caller made one. Returns the number of
    records made."""
    from zhiliang.inspections.models import Sample, SamplingPlan
    from zhiliang.registry.models import Organisation

    today = today or timezone.localdate()
    qn = connection.ops.quote_name
    c, s = CreditRecord._meta, Sample._meta
    p, o = SamplingPlan._meta, Organisation._meta

    def col(meta: Any, name: str) -> str:
        return qn(meta.get_field(name).column)

    source = f"COALESCE(o.{col(o, 'name')}, %s)"
    summary = (
        f"SUBSTR(s.{col(s, 'product_name')} || '：' || s.{col(s, 'failed_items')}"
        f" || '（检验报告 ' || s.{col(s, 'report_no')} || '）', 1, 1000)"
    )
    written = [
        "enterprise",
        "kind",
        "heavier",
        "document_no",
        "decided_on",
        "source_name",
        "source",
        "summary",
        "sector",
        "light",
        "sample",
        "created_by",
        "created_at",
    ]
    failed = (
        f"FROM {samples or qn(s.db_table)} s "
        f"LEFT JOIN {qn(p.db_table)} p ON p.{col(p, 'id')} = s.{col(s, 'plan')} "
        f"LEFT JOIN {qn(o.db_table)} o ON o.{col(o, 'id')} = p.{col(p, 'organiser')} "
        f"WHERE s.{col(s, 'id')} > %s AND s.{col(s, 'import_batch')} = %s "
        f"AND s.{col(s, 'final_conclusion')} = %s"
    )
    failed_params = [after_id, batch.pk, Sample.Conclusion.FAIL.value]
    adapt = connection.ops
    with connection.cursor() as cursor:
        # The samples are new, so no record names them yet, but a record typed in by hand
        # may already hold the source and number: those samples are left out. Found
        # before the insert, not by NOT EXISTS inside it, which PostgreSQL may plan as a
        # scan of the records table per sample, growing as the insert adds rows.
        taken: list[int] = []
        # Only if some record names a source these samples can have (any plan's
        # organiser, or the default): one look at the records' (source, number) index.
        sources = {SAMPLING_SOURCE} | set(
            Organisation.objects.filter(
                pk__in=SamplingPlan.objects.values("organiser")
            ).values_list("name", flat=True)
        )
        if CreditRecord.objects.filter(source_name__in=sources).exists():
            cursor.execute(
                f"SELECT s.{col(s, 'id')} {failed} AND EXISTS (SELECT 1 FROM {qn(c.db_table)} x "
                f"WHERE x.{col(c, 'source_name')} = {source} "
                f"AND x.{col(c, 'document_no')} = s.{col(s, 'sample_no')})",
                [*failed_params, SAMPLING_SOURCE],
            )
            taken = [row[0] for row in cursor.fetchall()]
        skip = f" AND s.{col(s, 'id')} NOT IN ({', '.join(['%s'] * len(taken))})" if taken else ""
        before = CreditRecord.objects.order_by("-id").values_list("id", flat=True).first() or 0
        cursor.execute(
            f"INSERT INTO {qn(c.db_table)} ({', '.join(col(c, f) for f in written)}) "
            f"SELECT COALESCE(s.{col(s, 'producer')}, s.{col(s, 'sampled_party')}), %s, %s, "
            f"s.{col(s, 'sample_no')}, COALESCE(s.{col(s, 'reported_on')}, %s), {source}, "
            f"o.{col(o, 'id')}, {summary}, %s, %s, s.{col(s, 'id')}, %s, %s {failed}{skip}",
            [
                Kind.INSPECTION_FAILURE.value,
                False,
                adapt.adapt_datefield_value(today),
                SAMPLING_SOURCE,
                CreditRecord.RecordSector.GENERAL.value,
                False,
                actor.pk if getattr(actor, "is_authenticated", False) else None,
                adapt.adapt_datetimefield_value(timezone.now()),
                *failed_params,
                *taken,
            ],
        )
        made = cursor.rowcount
    if not made:
        return 0
    # The new records' ids are above those before (with concurrent writers, a few others
    # may be too: their enterprises are then reclassified as well, which is harmless).
    ids = sorted(
        CreditRecord.objects.filter(id__gt=before)
        .order_by()
        .values_list("enterprise_id", flat=True)
        .distinct()
    )
    counts = classify_enterprises(ids, today=today)
    audit_record(
        actor=actor,
        action="credit.record.create",
        object_type="credit.creditrecord",
        object_repr=f"{made} inspection failures of import #{batch.pk}",
        after={
            "kind": Kind.INSPECTION_FAILURE.value,
            "import_batch": batch.pk,
            "records": made,
            "classes": counts,
        },
    )
    return made


def inspection_failure_withdraw(sample: Any, *, actor: Any = None, reason: str = "") -> None:
    """A re-test passed: the failure no longer stands, so its record goes (audited, with
    what it said) and the enterprise is reclassified."""
    record = CreditRecord.objects.filter(sample=sample).select_related("enterprise").first()
    if record is None:
        return
    enterprise = record.enterprise
    audit_record(
        actor=actor,
        action="credit.record.withdraw",
        obj=record,
        before={
            "enterprise": enterprise.uscc,
            "kind": record.kind,
            "sample": sample.sample_no,
            "document_no": record.document_no,
            "decided_on": record.decided_on.isoformat(),
        },
        reason=reason,
    )
    record.delete()
    classify_enterprise(enterprise)

"""Keeping :class:`PassTally` in step with samples' final conclusions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q

from zhiliang.inspections.models import PassTally, Sample

#: year, category id, place ('sampled' | 'made'), region, channel
TallyKey = tuple[int, int, str, str, str]


def tally_keys(sample: Sample) -> list[TallyKey]:
    """The two cells a sample counts in: where it was sampled, and where it was made."""
    year, category, channel = sample.sampled_on.year, sample.category_id, sample.channel
    return [
        (year, category, PassTally.Place.SAMPLED, sample.sampling_district_id, channel),
        (year, category, PassTally.Place.MADE, sample.producer_region, channel),
    ]


def tally_delta(old_final: str, new_final: str) -> tuple[int, int]:
    """(tested, passed) change when a final conclusion goes from old to new ('' = none)."""
    tested = int(bool(new_final)) - int(bool(old_final))
    passed = int(new_final == Sample.Conclusion.PASS) - int(old_final == Sample.Conclusion.PASS)
    return tested, passed


def tally_add(changes: Iterable[tuple[TallyKey, int, int]]) -> None:
    """Add (tested, passed) to each cell, creating cells as needed. Call inside the
    transaction that changes the samples."""
    merged: Counter[tuple[TallyKey, str]] = Counter()
    for key, tested, passed in changes:
        merged[(key, "t")] += tested
        merged[(key, "p")] += passed
    keys = {k for k, _ in merged}
    for key in sorted(keys):
        tested, passed = merged[(key, "t")], merged[(key, "p")]
        if tested == 0 and passed == 0:
            continue
        year, category_id, place, region, channel = key
        cell = PassTally.objects.filter(
            year=year, category_id=category_id, place=place, region=region, channel=channel
        )
        if cell.update(tested=F("tested") + tested, passed=F("passed") + passed):
            continue
        try:
            with transaction.atomic():
                PassTally.objects.create(
                    year=year,
                    category_id=category_id,
                    place=place,
                    region=region,
                    channel=channel,
                    tested=tested,
                    passed=passed,
                )
        except IntegrityError:
            # Another transaction created the cell first: add to it.
            cell.update(tested=F("tested") + tested, passed=F("passed") + passed)


#: Place → the sample column that gives its region.
PLACE_COLUMNS = {
    PassTally.Place.SAMPLED: "sampling_district_id",
    PassTally.Place.MADE: "producer_region",
}


def tally_rebuild() -> int:
    """Recount every cell from the samples (``zhiliang inspections retally``)."""
    with transaction.atomic():
        PassTally.objects.all().delete()
        tested = Sample.objects.exclude(final_conclusion="")
        cells = []
        for place, column in PLACE_COLUMNS.items():
            rows = tested.values("sampled_on__year", "category_id", column, "channel").annotate(
                t=Count("id"), p=Count("id", filter=Q(final_conclusion="pass"))
            )
            cells += [
                PassTally(
                    year=r["sampled_on__year"],
                    category_id=r["category_id"],
                    place=place,
                    region=r[column] or "",
                    channel=r["channel"],
                    tested=r["t"],
                    passed=r["p"],
                )
                for r in rows
            ]
        PassTally.objects.bulk_create(cells, batch_size=1000)
    return len(cells)

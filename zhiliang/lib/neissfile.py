"""Reader for the reduced NEISS case layout of ``infants_under2_2002_2021.csv.gz``.

Columns (data README §1): ``id, weight, date (YYYY-MM-DD), age (months 1–23), sex (M/F,
blank), race, disposition, location, fire, alcohol, drugs, stratum (S/M/L/V/C), psu``.
The cases come back as NumPy arrays, one entry per case, ready for
:func:`zhiliang.lib.estimates.weighted_estimates`. Blank integer fields become ``-1``
(not 0: for ``race`` and ``fire`` a blank is "not stated", which is not a code), blank
sex becomes ``""``.
"""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

__all__ = ["NeissCases", "read_neiss_cases"]

IntArray = npt.NDArray[np.int64]

_INT_COLUMNS = ("age", "race", "disposition", "location", "fire", "alcohol", "drugs", "psu")
_REQUIRED = ("id", "weight", "date", "stratum", "psu")


@dataclass(frozen=True, eq=False)
class NeissCases:
    """NEISS cases as columns; integer fields hold -1 where the file is blank."""

    case_id: IntArray
    weight: npt.NDArray[np.float64]
    date: npt.NDArray[np.datetime64]
    age_months: IntArray
    sex: npt.NDArray[np.str_]
    race: IntArray
    disposition: IntArray
    location: IntArray
    fire: IntArray
    alcohol: IntArray
    drugs: IntArray
    stratum: npt.NDArray[np.str_]
    psu: IntArray

    @property
    def year(self) -> IntArray:
        """Treatment year of each case."""
        return self.date.astype("datetime64[Y]").astype(np.int64) + 1970

    def __len__(self) -> int:
        return int(self.weight.size)


def read_neiss_cases(path: str | Path) -> NeissCases:
    """Read the reduced NEISS layout from a ``.csv`` or ``.csv.gz`` file.

    Raises ``ValueError`` naming the line on a missing column, a bad number or date.
    """
    path = Path(path)
    with (
        gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb") as raw,
        io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text,
    ):
        reader = csv.reader(text)
        header = next(reader, None)
        if header is None:
            raise ValueError(f"{path.name}: empty file")
        index = {name.strip(): i for i, name in enumerate(header)}
        missing = [c for c in _REQUIRED if c not in index]
        if missing:
            raise ValueError(f"{path.name}: missing column(s) {', '.join(missing)}")
        rows = list(reader)

    def column(name: str) -> list[str]:
        i = index.get(name)
        return [""] * len(rows) if i is None else [row[i] if i < len(row) else "" for row in rows]

    def integers(name: str) -> IntArray:
        values = column(name)
        try:
            return np.array([int(v) if v else -1 for v in values], dtype=np.int64)
        except ValueError:
            bad = next(k for k, v in enumerate(values) if v and not v.lstrip("-").isdigit())
            raise ValueError(
                f"{path.name} line {bad + 2}: {name} {values[bad]!r} is not an integer"
            ) from None

    try:
        weight = np.array(column("weight"), dtype=np.float64)
    except ValueError:
        raise ValueError(f"{path.name}: a weight is not a number") from None
    try:
        date = np.array(column("date"), dtype="datetime64[D]")
    except ValueError:
        raise ValueError(f"{path.name}: a date is not YYYY-MM-DD") from None
    ints = {name: integers(name) for name in _INT_COLUMNS}
    return NeissCases(
        case_id=integers("id"),
        weight=weight,
        date=date,
        age_months=ints["age"],
        sex=np.array(column("sex"), dtype=np.str_),
        race=ints["race"],
        disposition=ints["disposition"],
        location=ints["location"],
        fire=ints["fire"],
        alcohol=ints["alcohol"],
        drugs=ints["drugs"],
        stratum=np.array(column("stratum"), dtype=np.str_),
        psu=ints["psu"],
    )

"""The NEISS case-file layouts and the tables that map NEISS codes onto the case store
(``data/neiss_codes.csv``, ``data/neiss_products.csv``; ``data/README.md``), for
``neiss.py``."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
PRODUCTS_CSV = DATA_DIR / "neiss_products.csv"
CODES_CSV = DATA_DIR / "neiss_codes.csv"

#: Official header (folded to lower case) → field; the variants CPSC used over the years.
FULL_HEADERS: dict[str, str] = {
    "cpsc_case_number": "case_number",
    "treatment_date": "date",
    "age": "age",
    "sex": "sex",
    "race": "race",
    "race_other": "race_other",
    "other_race": "race_other",
    "hispanic": "hispanic",
    "body_part": "body_part",
    "diagnosis": "diagnosis",
    "diag_other": "diagnosis_other",
    "other_diagnosis": "diagnosis_other",
    "body_part_2": "body_part_2",
    "diagnosis_2": "diagnosis_2",
    "diag_other_2": "diagnosis_2_other",
    "other_diagnosis_2": "diagnosis_2_other",
    "disposition": "disposition",
    "location": "location",
    "fire_involvement": "fire",
    "alcohol": "alcohol",
    "drug": "drug",
    "drugs": "drug",
    "product_1": "product_1",
    "product_2": "product_2",
    "product_3": "product_3",
    "narrative": "narrative",
    "narrative_1": "narrative",
    "narrative_2": "narrative_2",
    "stratum": "stratum",
    "psu": "psu",
    "weight": "weight",
}
REDUCED_HEADERS: dict[str, str] = {
    "id": "case_number",
    "weight": "weight",
    "date": "date",
    "age": "age_months",
    "sex": "sex",
    "race": "race_recoded",
    "disposition": "disposition",
    "location": "location",
    "fire": "fire",
    "alcohol": "alcohol",
    "drugs": "drug",
    "stratum": "stratum",
    "psu": "psu",
}
REQUIRED = ("case_number", "date", "weight", "stratum", "psu")
#: NEISS codes kept in ``source_codes`` as they are (with the label lookup of their
#: code-book format where there is one).
KEPT = {
    "race": "RACE",
    "hispanic": "HISP",
    "body_part": "BDYPT",
    "diagnosis": "DIAG",
    "body_part_2": "BDYPT",
    "diagnosis_2": "DIAG",
    "disposition": "DISP",
    "location": "LOC",
    "fire": "FIRE",
    "alcohol": "ALC_DRUG",
    "drug": "ALC_DRUG",
    "race_recoded": "",
}
KEPT_TEXT = ("race_other", "diagnosis_other", "diagnosis_2_other")
#: NEISS field → (the card field it fills, its format in the code book).
MAPPED = {
    "sex": ("sex", "GENDER"),
    "disposition": ("outcome", "DISP"),
    "location": ("place", "LOC"),
    "diagnosis": ("nature", "DIAG"),
    "body_part": ("body_part", "BDYPT"),
}
#: Code-book labels of the formats the mapping table does not carry (for files whose
#: codes were replaced by labels), from the 2023 NEISS format file.
LABELS: dict[str, dict[str, int]] = {
    "RACE": {
        "N.S.": 0,
        "WHITE": 1,
        "BLACK/AFRICAN AMERICAN": 2,
        "OTHER": 3,
        "ASIAN": 4,
        "AMERICAN INDIAN/ALASKA NATIVE": 5,
        "NATIVE HAWAIIAN/PACIFIC ISLANDER": 6,
    },
    "HISP": {"UNK/NOT STATED": 0, "YES": 1, "NO": 2},
    "FIRE": {"NO/?": 0, "FD": 1, "NO FD": 2, "? FD": 3, "MV": 4},
    "ALC_DRUG": {"NO/UNK": 0, "YES": 1},
    "GENDER": {"M": 1, "F": 2},
}


@cache
def code_maps() -> tuple[dict[str, dict[int, int | None]], dict[str, dict[str, int]]]:
    """(NEISS field → {NEISS code: card code or None}, code-book format → {label: code})."""
    maps: dict[str, dict[int, int | None]] = {}
    labels: dict[str, dict[str, int]] = {k: dict(v) for k, v in LABELS.items()}
    formats = {neiss: fmt for neiss, (_card, fmt) in MAPPED.items()}
    with CODES_CSV.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            code = int(row["neiss_code"])
            maps.setdefault(row["neiss_field"], {})[code] = (
                int(row["code"]) if row["code"] else None
            )
            labels.setdefault(formats[row["neiss_field"]], {})[row["neiss_label"].upper()] = code
    return maps, labels


@cache
def product_table() -> tuple[dict[int, str], dict[str, int]]:
    """(NEISS product code → catalogue class code or "", product title → code)."""
    classes: dict[int, str] = {}
    titles: dict[str, int] = {}
    with PRODUCTS_CSV.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            code = int(row["neiss_code"])
            classes[code] = row["category"]
            titles.setdefault(row["neiss_title"].upper(), code)
    return classes, titles

"""Write the NEISS mapping tables the surveillance import reads (run once, output committed).

    python scripts/neiss_mappings.py ../shared/data/neiss zhiliang/surveillance/data

- ``neiss_products.csv``: every product code of the 2023 NEISS code book → a class of the
  重点工业产品质量安全监管目录(2023年版) (``IND23-NN``, ``inspections/data/categories.csv``),
  or empty where no class fits (the import then counts the product as "其他" and keeps the
  code). The catalogue's product lists were not found (inspections/data/README.md), so
  the placement is this project's judgement from the class names, rule by rule: each row
  names the rule that placed it, and a row may be corrected by hand.
- ``neiss_codes.csv``: the NEISS sex, disposition, location, diagnosis and body-part
  codes → the report card's sex, outcome, place, nature and body part (``codes.py``).
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

APPLIANCES = "IND23-02"
FURNITURE_BUILDING = "IND23-03"
ELECTRONICS = "IND23-04"
TRANSPORT = "IND23-05"
CHILDREN = "IND23-06"
FOOD_CONTACT = "IND23-07"
CLOTHING_TEXTILE = "IND23-08"
ELDERLY = "IND23-09"
FARM_INPUTS = "IND23-10"
HOUSEHOLD_SUNDRIES = "IND23-11"
EDUCATION_SPORTS = "IND23-12"
CHEMICALS = "IND23-13"
INDUSTRIAL = "IND23-01"
NONE = ""

#: (rule name, pattern on the code-book title, class); the first that matches wins.
KEYWORDS: list[tuple[str, str, str]] = [
    (
        "not a consumer product",
        r"NO PRODUCT|OUT.OF.SCOPE|UNCATEGORIZED|POISONINGS - NO|"
        r"INHALED/ABUSED|MENTAL HEALTH|VIOLENCE|ASSIGNED CASE|DRYWALL CONTROL|OTHER PRODUCT",
        NONE,
    ),
    ("special equipment (separate regime)", r"ELEVATOR|ESCALATOR|AMUSEMENT|BOILERS", NONE),
    (
        "fireworks, firearms (separate regimes)",
        r"FIREWORK|FIREARM|GUNS?\b(?!.*TOY)|AMMUNITION",
        NONE,
    ),
    (
        "medical devices (not in the catalogue)",
        r"MEDICAL|HOSPITAL|SURGICAL|SYRINGE|NEEDLES? \(|"
        r"HEARING AIDS|CONTACT LENSES|DENTURES|ORTHODONTIC|RADIOGRAPHIC|THERAPEUTIC",
        NONE,
    ),
    (
        "drugs, alcohol, tobacco (not in the catalogue)",
        r"ALCOHOL|CIGARET|TOBACCO|DRUGS|MEDICATION",
        NONE,
    ),
    ("aircraft, trains, boats", r"AIRCRAFT|TRAINS|BOATS|WATERCRAFT|SHIPS", NONE),
    ("animals and plants", r"ANIMAL|INSECT|PLANTS, TREES", NONE),
    (
        "nursery and children's products",
        r"BABY|INFANT|CRIB|CRADLE|BASSINET|PLAYPEN|HIGH CHAIR|"
        r"STROLLER|PACIFIER|TEETHING|DIAPER|NURSERY|CHILDREN|TODDLER|CHILD SAFETY|CAR SEATS|"
        r"TOY|DOLL|RATTLE|TRICYCLES|PLAY HOUSES|CHANGING TABLE",
        CHILDREN,
    ),
    (
        "elderly and mobility aids",
        r"WHEELCHAIR|CRUTCHES|WALKERS(?!.*BABY)|CANES|ADULT BED RAILS|"
        r"SPECIAL BEDS|BATHTUB GRAB|TOILET SEATS, RAISED",
        ELDERLY,
    ),
    (
        "road vehicles and bicycles",
        r"MOTOR VEHICLE|MOTORIZED VEHICLE|MOTORCYCLE|MINIBIKE|MOPED|BICYCLE|SCOOTER|"
        r"ALL-TERRAIN|ATV|GO-CART|GOLF CARTS|SNOWMOBILE|TWO-WHEELED|THREE-WHEEL|FOUR-WHEEL|"
        r"TRUCK|AUTOMOTIVE|TRAILER|HOVERBOARD|SEGWAY|DUNE BUGG|UTILITY VEHICLE",
        TRANSPORT,
    ),
    (
        "sports, recreation, school and office",
        r"SPORT|\bBALLS?\b|GOLF|TENNIS|HOCKEY|SKI|SKATE|SURF|"
        r"SWIM|POOL|DIVING|TRAMPOLINE|EXERCISE|WEIGHT LIFTING|GYMNAST|BOXING|WRESTLING|MARTIAL|"
        r"FISHING|HUNTING|CAMPING|ARCHERY|BOWLING|BILLIARD|DARTS|PLAYGROUND|SWING|SLIDE|"
        r"MONKEY BAR|SEESAW|SLED|TOBOGGAN|KITE|POGO|ROCKETRY|HOBBY|CRAFT|MUSICAL|SCHOOL|DESK "
        r"SUPPLIES|PENS|PENCILS|CRAYON|CHALK|BOOKS|PAPER|SCISSORS|HORSEBACK|RIDING|CHEERLEAD|"
        r"DANCE|FOOTBALL|SOCCER|BASEBALL|BASKETBALL|VOLLEYBALL|RACQUET|LACROSSE|RUGBY|"
        r"WATER TUBING|WATER SLIDE|CLIMBING",
        EDUCATION_SPORTS,
    ),
    (
        "clothing, footwear, household textiles",
        r"CLOTHING|APPAREL|WEAR\b|NIGHTWEAR|OUTERWEAR|"
        r"FOOTWEAR|SHOES|BOOTS|JEWELRY|WATCHES|COSTUME|BEDDING|BLANKET|PILLOW|SHEETS|TOWEL|"
        r"FABRICS|CURTAIN|DRAPER|RUGS|CARPET|LUGGAGE|HANDBAG|UMBRELLA|SEWING",
        CLOTHING_TEXTILE,
    ),
    (
        "electrical appliances and accessories",
        r"ELECTRIC|APPLIANCE|WASHING MACHINE|DRYER|IRON\b|"
        r"IRONS|REFRIGERATOR|FREEZER|MICROWAVE|OVEN|RANGE|STOVE|TOASTER|BLENDER|MIXER|DISHWASHER|"
        r"FAN|HEATER|AIR CONDITION|HUMIDIFIER|VAPORIZER|DEHUMIDIFIER|PURIFIER|VACUUM CLEANER|"
        r"SEWING MACHINE|LAMP|LIGHTING|OUTLET|WIRING|EXTENSION CORD|CORDS, ELECTRICAL|SWITCH|FUSE|CIRCUIT|"
        r"POWER STRIP|SURGE|GENERATOR|RAZOR|SHAVER|CLIPPERS|CURLING|HAIR DRYER|COFFEE MAKER|"
        r"FOOD PROCESSOR|GRILL|GARBAGE DISPOSER|TRASH COMPACTOR|WATER HEATER",
        APPLIANCES,
    ),
    (
        "cosmetics and household chemicals",
        r"COSMETIC|MAKE-UP PREP|HAIR SPRAY|SHAMPOO|DEODORAN|"
        r"PERFUME|COLOGNE|NAIL PREP|NAIL HARDEN|BATH PRODUCT|BUBBLE BATH|DEPILATOR|MASCARA|EYELINER|"
        r"LOTION|HAIR (WAVING|COLOR|STRAIGHT)|ORAL HYGIENE|TOOTHPASTE|DETERGENT|BLEACH|CLEANER|"
        r"CLEANING AGENT|POLISH(ES)?\b|WAX|DISINFECT|PESTICIDE|INSECTICIDE|PAINT|VARNISH|THINNER|SOLVENT|"
        r"ADHESIVE|GLUE|LUBRICANT|CAUSTIC|ACIDS|LYE|DRAIN|FERTILIZER|CHEMICAL|GASOLINE|KEROSENE|"
        r"LIGHTER FLUID|CHARCOAL|FUEL(?!.*LIGHTER)",
        CHEMICALS,
    ),
    (
        "electronics and information technology",
        r"TELEVISION|COMPUTER|RADIO|STEREO|PHONOGRAPH|"
        r"RECORD|TAPE|VIDEO|ELECTRONIC|TELEPHONE|CELL PHONE|CAMERA|PROJECTOR|SPEAKER|HEADPHONE|"
        r"GAME|ANTENNA|BATTERIES",
        ELECTRONICS,
    ),
    (
        "industrial and workshop equipment",
        r"INDUSTRIAL|POWER (SAW|SANDER|ROUTER|LATHE|JOINTER|"
        r"SHAPER|DRILL|GRINDER|TOOL)|SAWS?\b|WELDING|COMPRESSOR|JACKS|HOIST|WINCH|CHAIN SAW|TABLE SAW|"
        r"WORKSHOP|MACHINERY",
        INDUSTRIAL,
    ),
    (
        "kitchen and tableware (food contact)",
        r"COOKWARE|POTS|PANS|DISHES|DRINKING GLASS|GLASSES|"
        r"BOTTLES|JARS|CONTAINERS|CUPS|MUGS|TABLEWARE|FLATWARE|CUTLERY|KNIVES|FORKS|SPOONS|"
        r"CAN OPENER|CORKSCREW|PRESSURE COOKER|THERMOS|BAKING|FOOD|KITCHEN|CARDBOARD|PLASTIC "
        r"(BAGS|WRAP)|STRAWS|BOTTLE",
        FOOD_CONTACT,
    ),
    (
        "furniture and building materials",
        r"FURNITURE|CHAIR|SOFA|COUCH|TABLE|DESK|BED|MATTRESS|"
        r"FUTON|COTS|STOOL|OTTOMAN|CABINET|SHELV|BOOKCASE|DRESSER|CHEST|BUREAU|STAIR|STEP|FLOOR|"
        r"CEILING|WALL|WINDOW|DOOR|GLASS|PORCH|BALCON|DECK|RAMP|RAILING|BANISTER|FENCE|GATE|"
        r"BRICK|CONCRETE|TILE|LUMBER|PLYWOOD|INSULATION|ROOF|GUTTER|AWNING|SHUTTER|COUNTER|"
        r"BATHTUB|SHOWER|SINK|TOILET|FAUCET|PIPE|PLUMBING|MIRROR|LADDER|SCAFFOLD|NAILS|SCREWS|"
        r"HARDWARE|HINGE|PANELING|WALLPAPER|FIREPLACE|CHIMNEY|HOUSE|STRUCTURE",
        FURNITURE_BUILDING,
    ),
    (
        "farm equipment and inputs",
        r"FARM|TRACTOR|TILLAGE|HARVEST|LIVESTOCK|AGRICULTUR|"
        r"CREAM SEPARATOR|PASTEURIZER|GRAIN",
        FARM_INPUTS,
    ),
]

#: The code book's groups (code // 100) and their class when no keyword decides.
GROUPS: dict[int, tuple[str, str]] = {
    1: ("group 01xx: laundry appliances", APPLIANCES),
    2: ("group 02xx: kitchen appliances", APPLIANCES),
    3: ("group 03xx: heating, cooling, ventilating", APPLIANCES),
    4: ("group 04xx: housewares", HOUSEHOLD_SUNDRIES),
    6: ("group 06xx: home furnishings and fixtures", FURNITURE_BUILDING),
    7: ("group 07xx: home safety and security", HOUSEHOLD_SUNDRIES),
    8: ("group 08xx: home workshop", INDUSTRIAL),
    9: ("group 09xx: household chemicals", CHEMICALS),
    10: ("group 10xx: farm", FARM_INPUTS),
    11: ("group 11xx: packaging and containers", FOOD_CONTACT),
    12: ("group 12xx: sports and recreation", EDUCATION_SPORTS),
    13: ("group 13xx: toys and recreation", EDUCATION_SPORTS),
    15: ("group 15xx: nursery", CHILDREN),
    16: ("group 16xx: personal use items", HOUSEHOLD_SUNDRIES),
    17: ("group 17xx: miscellaneous household", HOUSEHOLD_SUNDRIES),
    18: ("group 18xx: home structures and construction", FURNITURE_BUILDING),
    23: ("group 23xx: school equipment", EDUCATION_SPORTS),
    25: ("group 25xx: cosmetics", CHEMICALS),
    26: ("group 26xx: cosmetics", CHEMICALS),
    32: ("group 32xx: sports and recreation", EDUCATION_SPORTS),
    40: ("group 40xx: household furnishings", FURNITURE_BUILDING),
    50: ("group 50xx: toys", CHILDREN),
}


def product_class(code: int, title: str) -> tuple[str, str]:
    # "TABLES (EXCL. BABY CHANGING TABLES …)": what a title excludes says nothing of it.
    title = re.sub(r"\((EXCL|EXCEPT)[^)]*\)?", "", title)
    for rule, pattern, target in KEYWORDS:
        # Words start where the title's words start: TABLE is not in PORTABLE.
        if re.search(rf"\b(?:{pattern})", title):
            return target, rule
    rule, target = GROUPS.get(code // 100, ("no class fits", NONE))
    return target, rule


#: NEISS code → card code, per field; None: not recorded (the card has no such value).
SEX = {0: None, 1: 1, 2: 2, 3: None}
DISPOSITION_TO_OUTCOME = {0: 6, 1: 1, 2: 3, 4: 4, 5: 2, 6: 6, 8: 5, 9: None}
LOCATION_TO_PLACE = {0: 10, 1: 1, 2: 8, 3: 1, 4: 5, 5: 3, 6: 1, 7: 7, 8: 3, 9: 4}
DIAGNOSIS_TO_NATURE = {
    **dict.fromkeys([57], 1),
    **dict.fromkeys([64], 2),
    **dict.fromkeys([50, 59, 63, 72], 3),
    **dict.fromkeys([53, 54, 58], 4),
    **dict.fromkeys([46, 47, 48, 49, 51], 5),
    **dict.fromkeys([52], 6),
    **dict.fromkeys([62], 7),
    **dict.fromkeys([41, 42, 55, 56, 60, 61, 65, 66, 67, 68, 69, 70, 71, 73, 74], 8),
}
BODY_PART = {
    **dict.fromkeys([75, 76, 77, 88, 94], 1),
    **dict.fromkeys([30, 32, 33, 34, 80, 82, 90, 92], 2),
    **dict.fromkeys([35, 36, 37, 81, 83, 91, 93], 3),
    **dict.fromkeys([31, 38, 78, 79], 4),
    84: 5,
    85: 6,
    **dict.fromkeys([0, 86, 89], 7),
    87: 8,
}
NOTES = {
    ("location", 3): "apartment: the patient's home",
    ("location", 6): "mobile home: the patient's home",
    ("location", 5): "other public property",
    ("disposition", 6): "left without being seen: no card outcome",
    ("disposition", 0): "no injury",
    ("sex", 3): "the card has only 男/女; the NEISS code is kept",
    ("diagnosis", 55): "dislocation: no card nature of its own",
    ("body_part", 89): "neck: the card has no neck; counted as other",
    ("body_part", 0): "internal (ingestion, aspiration …)",
}
FIELDS = [
    ("sex", "lookup_sex.csv", "sex", SEX),
    ("disposition", "lookup_disposition.csv", "outcome", DISPOSITION_TO_OUTCOME),
    ("location", "lookup_location.csv", "place", LOCATION_TO_PLACE),
    ("diagnosis", "lookup_diagnosis.csv", "nature", DIAGNOSIS_TO_NATURE),
    ("body_part", "lookup_body_part.csv", "body_part", BODY_PART),
]


def main(source: Path, target: Path) -> None:
    with (source / "lookup_products.csv").open(encoding="utf-8") as fh:
        products = list(csv.DictReader(fh))
    with (target / "neiss_products.csv").open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(["neiss_code", "neiss_title", "category", "rule"])
        for row in products:
            category, rule = product_class(int(row["code"]), row["label"])
            out.writerow([row["code"], row["label"], category, rule])
    with (target / "neiss_codes.csv").open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(["neiss_field", "neiss_code", "neiss_label", "field", "code", "note"])
        for neiss_field, lookup, field, mapping in FIELDS:
            with (source / lookup).open(encoding="utf-8") as lf:
                for row in csv.DictReader(lf):
                    code = int(row["code"])
                    if code not in mapping:
                        raise SystemExit(f"{neiss_field} {code} has no mapping")
                    card = mapping[code]
                    out.writerow(
                        [
                            neiss_field,
                            code,
                            row["label"],
                            field,
                            "" if card is None else card,
                            NOTES.get((neiss_field, code), ""),
                        ]
                    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))

"""双随机 draws: reproducible, weighted random selection of enterprises per stratum.

A draw is fully determined by its inputs (candidates, quotas, weights, exclusions)
and its seed, so anyone holding them can re-run it and get the same enterprises:
that is what makes a 双随机 draw verifiable.

Within a stratum (category × district) enterprises are drawn without replacement
with probability proportional to their weight (Efraimidis & Spirakis, "Weighted
random sampling with a reservoir", Information Processing Letters 97 (2006) 181–185:
each candidate gets the key ``u ** (1 / w)`` and the ``k`` largest keys win).
Each stratum has its own generator seeded from (seed, stratum), so adding a stratum
does not change the draw of the others.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

#: Relative sampling weight by credit risk class (DOMAIN.md §2.1: A ≤ 5 %, B 5–20 %,
#: C 21–60 %, D 61–100 % of enterprises sampled). The upper bounds are used as
#: weights; a city sets its own in configuration.
DEFAULT_CLASS_WEIGHTS: Mapping[str, float] = {"A": 0.05, "B": 0.20, "C": 0.60, "D": 1.0}
#: Weight of an enterprise with no risk class yet (the credit system not in use).
UNCLASSIFIED_WEIGHT = 0.20


@dataclass(frozen=True)
class Candidate:
    key: str  # e.g. the enterprise's 统一社会信用代码
    stratum: str  # e.g. "C3670|500103"
    risk_class: str | None = None


@dataclass
class DrawResult:
    chosen: dict[str, list[str]] = field(default_factory=dict)
    #: strata where fewer candidates were eligible than the quota asked for
    shortfalls: dict[str, int] = field(default_factory=dict)


def _rng(seed: int, stratum: str) -> random.Random:
    digest = hashlib.sha256(f"{seed}\x1f{stratum}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def draw(
    candidates: Iterable[Candidate],
    quotas: Mapping[str, int],
    seed: int,
    *,
    class_weights: Mapping[str, float] | None = None,
    exclude: Iterable[str] = (),
) -> DrawResult:
    """Draw ``quotas[stratum]`` candidates from each stratum.

    ``exclude`` holds keys that may not be drawn (already drawn in this plan, or
    sampled by a higher level in the same period: 产品质量法 Art. 15). A key is
    drawn at most once across all strata.
    """
    weights = DEFAULT_CLASS_WEIGHTS if class_weights is None else class_weights
    if any(w <= 0 for w in weights.values()):
        raise ValueError("class weights must be positive")
    if any(q < 0 for q in quotas.values()):
        raise ValueError("quotas must not be negative")
    by_stratum: dict[str, list[Candidate]] = {}
    for c in candidates:
        by_stratum.setdefault(c.stratum, []).append(c)
    taken = set(exclude)
    result = DrawResult()
    for stratum in sorted(quotas):
        rng = _rng(seed, stratum)
        # Sorted input: the draw must not depend on the order the database returned.
        pool = sorted(
            (c for c in by_stratum.get(stratum, []) if c.key not in taken), key=lambda c: c.key
        )
        keyed = []
        for c in pool:
            if c.risk_class is not None and c.risk_class not in weights:
                raise ValueError(f"{c.key}: unknown risk class {c.risk_class!r}")
            w = weights[c.risk_class] if c.risk_class is not None else UNCLASSIFIED_WEIGHT
            keyed.append((rng.random() ** (1.0 / w), c.key))
        keyed.sort(reverse=True)
        quota = quotas[stratum]
        chosen = [key for _, key in keyed[:quota]]
        if len(chosen) < quota:
            result.shortfalls[stratum] = quota - len(chosen)
        result.chosen[stratum] = chosen
        taken.update(chosen)
    return result


def draw_inspectors(
    pool: Iterable[str], tasks: Iterable[str], seed: int, *, per_task: int = 2
) -> dict[str, list[str]]:
    """The second 随机: ``per_task`` different inspectors for each task, at random.

    Law-enforcement checks need at least two officers (行政处罚法 Art. 42), hence the
    default. Each task has its own generator, like the strata of :func:`draw`; with
    fewer than ``per_task`` inspectors in the pool every task gets the whole pool.
    """
    if per_task < 1:
        raise ValueError("per_task must be at least 1")
    people = sorted(set(pool))
    chosen: dict[str, list[str]] = {}
    for task in sorted(set(tasks)):
        rng = _rng(seed, "inspectors\x1f" + task)
        chosen[task] = sorted(rng.sample(people, min(per_task, len(people))))
    return chosen


def inputs_digest(inputs: object) -> str:
    """SHA-256 of the canonical JSON of a draw's inputs: publish it with the seed."""
    text = json.dumps(inputs, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()

"""Early warning of product injuries: aberration detection and disproportionality.

Pure NumPy/SciPy functions, no Django. Two families, each with a registry of method
names → functions and their parameters (what ``zhiliang signals detect`` and
``zhiliang signals disproportionality`` will offer):

* :data:`DETECTORS` — weekly counts, series × weeks → :class:`Detection`
  (expected, upperbound, statistic, p_value, alarm, decided);
* :data:`PAIR_STATISTICS` — product × hazard 2×2 tables (:func:`two_by_two`) → one
  value per pair; :func:`disproportionality` computes PRR, ROR, χ² and the BCPNN IC
  in one pass, :func:`gps` DuMouchel's MGPS (EBGM, EB05, EB95) with its prior fit.

Each method names the reference it reproduces; where a reference has a quirk the
faithful version keeps the reference's name and the corrected one has its own
(``ears-c3`` is surveillance's C3, ``ears-c3-cdc`` the CDC's; ``ewma`` is Rnssp's,
``ewma-pynssp`` pynssp's off-by-one port; ``regression`` and ``switch`` are Rnssp's,
with pynssp's as ``variant="pynssp"``; ``farrington`` is surveillance's
farringtonFlexible, with Noufaily's settings as parameters; ``serfling-pynssp`` and
``nbinom-pynssp`` pynssp's multi-year seasonal regressions; ``rfet-midp`` vigipy's
Fisher test with Lancaster's mid-p). SIGNALS.md in the shared
research folder holds the formulas, the references' outputs and their quirks.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from zhiliang.lib.signals.cusum import cusum
from zhiliang.lib.signals.detection import Counts, Detection
from zhiliang.lib.signals.disproportionality import (
    Disproportionality,
    FisherTest,
    InformationComponent,
    Ratio,
    TwoByTwo,
    bcpnn,
    chi2_yates,
    disproportionality,
    evans_signal,
    ic_shrinkage,
    lbe_fdr,
    prr,
    rfet,
    rfet_midp,
    ror,
    table_from_reports,
    two_by_two,
)
from zhiliang.lib.signals.ears import ears_c1, ears_c2, ears_c3, ears_c3_cdc
from zhiliang.lib.signals.ewma import ewma, ewma_pynssp, nssp_alert
from zhiliang.lib.signals.farrington import (
    FARRINGTON_1996,
    NOUFAILY_2013,
    FarringtonDetection,
    farrington,
)
from zhiliang.lib.signals.gps import (
    DUMOUCHEL_1999,
    VIGIPY_BOUNDS,
    GpsPosterior,
    GpsPrior,
    GpsPriorFit,
    gamma_mixture_quantile,
    gps,
    gps_fit_prior,
    gps_neg_log_likelihood,
    gps_posterior,
)
from zhiliang.lib.signals.ranking import (
    BayesianRates,
    BcpnnSignals,
    bayesian_rates,
    bcpnn_signals,
    signal_count,
)
from zhiliang.lib.signals.regression import (
    NSSP_COLOURS,
    RegressionDetection,
    SwitchDetection,
    regression,
    switch,
)
from zhiliang.lib.signals.seasonal import nbinom_pynssp, nbinom_quantile, serfling_pynssp

__all__ = [
    "DETECTORS",
    "DUMOUCHEL_1999",
    "FARRINGTON_1996",
    "NOUFAILY_2013",
    "NSSP_COLOURS",
    "PAIR_STATISTICS",
    "REQUIRED",
    "BayesianRates",
    "BcpnnSignals",
    "Detection",
    "Disproportionality",
    "FisherTest",
    "FarringtonDetection",
    "GpsPosterior",
    "GpsPrior",
    "GpsPriorFit",
    "InformationComponent",
    "Method",
    "Ratio",
    "RegressionDetection",
    "SwitchDetection",
    "TwoByTwo",
    "VIGIPY_BOUNDS",
    "bayesian_rates",
    "bcpnn",
    "bcpnn_signals",
    "chi2_yates",
    "cusum",
    "detect",
    "disproportionality",
    "ears_c1",
    "ears_c2",
    "ears_c3",
    "ears_c3_cdc",
    "evans_signal",
    "ewma",
    "ewma_pynssp",
    "farrington",
    "gamma_mixture_quantile",
    "gps",
    "gps_fit_prior",
    "gps_neg_log_likelihood",
    "gps_posterior",
    "ic_shrinkage",
    "lbe_fdr",
    "nbinom_pynssp",
    "nbinom_quantile",
    "nssp_alert",
    "prr",
    "regression",
    "rfet",
    "rfet_midp",
    "ror",
    "serfling_pynssp",
    "signal_count",
    "switch",
    "table_from_reports",
    "two_by_two",
]


class _Required:
    """Marks a parameter without a default."""

    def __repr__(self) -> str:
        return "REQUIRED"


#: The default of a parameter the caller must give (e.g. CUSUM's ``training_weeks``).
REQUIRED: Any = _Required()


@dataclass(frozen=True)
class Method:
    """A registered method: its function, keyword parameters with defaults, and source."""

    name: str
    function: Callable[..., Any]
    reference: str

    @property
    def parameters(self) -> Mapping[str, Any]:
        """The keyword-only parameters and their defaults (:data:`REQUIRED` if none),
        read from the function's signature so the registry cannot drift from it."""
        return MappingProxyType(
            {
                p.name: REQUIRED if p.default is inspect.Parameter.empty else p.default
                for p in inspect.signature(self.function).parameters.values()
                if p.kind is inspect.Parameter.KEYWORD_ONLY
            }
        )

    @property
    def summary(self) -> str:
        """The first line of the function's docstring."""
        return (self.function.__doc__ or "").strip().splitlines()[0]


def _registry(*methods: Method) -> Mapping[str, Method]:
    return MappingProxyType({m.name: m for m in methods})


#: Weekly time-series detectors: name → method.
DETECTORS: Mapping[str, Method] = _registry(
    Method("ears-c1", ears_c1, "R surveillance 1.20 earsC(method='C1')"),
    Method("ears-c2", ears_c2, "R surveillance 1.20 earsC(method='C2')"),
    Method("ears-c3", ears_c3, "R surveillance 1.20 earsC(method='C3'), as implemented there"),
    Method("ears-c3-cdc", ears_c3_cdc, "Hutwagner et al. 2003 (CDC EARS C3)"),
    Method("cusum", cusum, "R surveillance 1.20 algo.cusum (reset as in 1.23+)"),
    Method("ewma", ewma, "Rnssp 0.3.1 alert_ewma (NSSP ESSENCE)"),
    Method("ewma-pynssp", ewma_pynssp, "pynssp 0.1.0 alert_ewma"),
    Method(
        "regression",
        regression,
        "Rnssp 0.3.1 alert_regression (variant=pynssp: pynssp 0.1.0; weekly without weekdays)",
    ),
    Method(
        "switch",
        switch,
        "Rnssp 0.3.1 alert_switch (variant=pynssp: pynssp 0.1.0; weekly without weekdays)",
    ),
    Method(
        "farrington",
        farrington,
        "R surveillance 1.20 farringtonFlexible (epochAsDate when dates are given)",
    ),
    Method("serfling-pynssp", serfling_pynssp, "pynssp 0.1.0 alert_serfling"),
    Method("nbinom-pynssp", nbinom_pynssp, "pynssp 0.1.0 alert_nbinom"),
)


#: Product × hazard pair statistics on :class:`TwoByTwo` cells: name → method.
PAIR_STATISTICS: Mapping[str, Method] = _registry(
    Method("prr", prr, "vigipy 3.5.1 prr"),
    Method("ror", ror, "vigipy 3.5.1 ror"),
    Method("chi2-yates", chi2_yates, "Evans et al. 2001; scipy chi2_contingency"),
    Method("rfet", rfet, "vigipy 3.5.1 rfet(mid_pval=False)"),
    Method("rfet-midp", rfet_midp, "vigipy 3.5.1 rfet (mid_pval=True, its default)"),
    Method("bcpnn", bcpnn, "vigipy 3.5.1 bcpnn(MC=False), R PhViD"),
    Method(
        "bcpnn-signals",
        bcpnn_signals,
        "vigipy 3.5.1 bcpnn(MC=False) ranking, Bayesian FDR/FNR/FOR/Se/Sp and decision",
    ),
    Method("ic-shrinkage", ic_shrinkage, "Norén et al. 2013 (UMC shrinkage IC)"),
    Method("gps", gps, "vigipy 3.5.1 gps (DuMouchel 1999 MGPS); exact EB05/EB95 by default"),
)


def detect(method: str, counts: Counts, **parameters: Any) -> Detection:
    """Run the detector registered as ``method`` on ``counts`` (series × weeks).

    Raises
    ------
    ValueError
        For an unknown method, a parameter the method does not take, or a missing
        required one.
    """
    try:
        entry = DETECTORS[method]
    except KeyError:
        raise ValueError(f"unknown detector {method!r}; known: {', '.join(DETECTORS)}") from None
    unknown = set(parameters) - set(entry.parameters)
    if unknown:
        raise ValueError(
            f"{method} takes no parameter {', '.join(sorted(unknown))}; "
            f"it takes {', '.join(entry.parameters)}"
        )
    missing = [p for p, d in entry.parameters.items() if d is REQUIRED and p not in parameters]
    if missing:
        raise ValueError(f"{method} needs {', '.join(missing)}")
    result: Detection = entry.function(counts, **parameters)
    return result

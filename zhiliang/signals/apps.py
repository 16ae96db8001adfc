from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SignalsConfig(AppConfig):
    """Early warning of product injuries (issue 6): for now the ``zhiliang signals``
    command over :mod:`zhiliang.lib.signals`; no models yet."""

    name = "zhiliang.signals"
    verbose_name = _("产品伤害监测预警")

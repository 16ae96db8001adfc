from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SignalsConfig(AppConfig):
    """Early warning of product injuries (issue 6): the ``zhiliang signals`` command
    over :mod:`zhiliang.lib.signals`, and the loop from a detector's alarm to a
    consumer warning (models, services)."""

    name = "zhiliang.signals"
    verbose_name = _("产品伤害监测预警")

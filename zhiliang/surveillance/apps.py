from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveillanceConfig(AppConfig):
    name = "zhiliang.surveillance"
    verbose_name = _("产品伤害监测")

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "zhiliang.inspections"
    verbose_name = _("监督抽查")

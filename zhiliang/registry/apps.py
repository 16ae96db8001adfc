from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "zhiliang.registry"
    verbose_name = _("登记信息")

    def ready(self) -> None:
        # Working-day deadlines into a year the calendar library lacks use the holiday
        # arrangement the quality office entered (zhiliang.registry.calendar).
        from zhiliang.lib import workdays
        from zhiliang.registry.calendar import arrangement_for

        workdays.set_supplement(arrangement_for)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "zhiliang.accounts"
    verbose_name = _("账户与审计")

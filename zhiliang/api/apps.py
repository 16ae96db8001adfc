from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "zhiliang.api"
    verbose_name = "API"

from django.urls import include, path

from zhiliang.plans.execution_views import home

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("zhiliang.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("registry/", include("zhiliang.registry.urls")),
    path("plans/", include("zhiliang.plans.urls")),
    path("inspections/", include("zhiliang.inspections.urls")),
    path("credit/", include("zhiliang.credit.urls")),
    path("signals/", include("zhiliang.signals.urls")),
    path("surveillance/", include("zhiliang.surveillance.urls")),
    path("api/", include("zhiliang.api.urls")),
    path("public/", include("zhiliang.portal.urls")),
]

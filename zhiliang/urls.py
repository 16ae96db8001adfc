from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from zhiliang.plans.execution_views import home

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("zhiliang.accounts.urls")),
    # Without a CSRF token: the switch sets only the visitor's own language cookie (the
    # most another site can do is change a visitor's language), and every page has the
    # form, so with a token every first visit, the public's included, made a CSRF secret
    # and cookie (issue 5's public query counts the cost of each page).
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    path("registry/", include("zhiliang.registry.urls")),
    path("plans/", include("zhiliang.plans.urls")),
    path("inspections/", include("zhiliang.inspections.urls")),
    path("credit/", include("zhiliang.credit.urls")),
    path("signals/", include("zhiliang.signals.urls")),
    path("surveillance/", include("zhiliang.surveillance.urls")),
    path("api/", include("zhiliang.api.urls")),
    path("public/", include("zhiliang.portal.urls")),
]

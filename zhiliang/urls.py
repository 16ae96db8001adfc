from django.shortcuts import render
from django.urls import include, path

urlpatterns = [
    path("", lambda request: render(request, "home.html"), name="home"),
    path("accounts/", include("zhiliang.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("registry/", include("zhiliang.registry.urls")),
    path("plans/", include("zhiliang.plans.urls")),
    path("api/", include("zhiliang.api.urls")),
]

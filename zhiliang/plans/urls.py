from django.urls import include, path

from zhiliang.plans import views

app_name = "plans"
urlpatterns = [
    path("", views.plan_list, name="plan_list"),
    path("import/", views.plan_import_view, name="plan_import"),
    path("<int:pk>/", views.plan_detail, name="plan_detail"),
    path("<int:pk>/matrix/", views.plan_matrix, name="plan_matrix"),
    path("targets/", views.target_list, name="target_list"),
    path("units/unresolved/", views.unresolved_units, name="unresolved_units"),
    path("units/<slug:key>/", views.unit_measures, name="unit_measures"),
    path("", include("zhiliang.plans.urls_execution")),
    path("", include("zhiliang.plans.urls_notices")),
    path("", include("zhiliang.plans.urls_dashboards")),
    path("", include("zhiliang.plans.urls_annual")),
]

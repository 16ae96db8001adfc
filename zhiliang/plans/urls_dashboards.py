from django.urls import path

from zhiliang.plans import dashboard_views

urlpatterns = [
    path("<int:plan_id>/dashboard/", dashboard_views.dashboard, name="dashboard"),
    path(
        "<int:plan_id>/dashboard/districts/",
        dashboard_views.dashboard_districts,
        name="dashboard_districts",
    ),
    path(
        "<int:plan_id>/dashboard/targets/",
        dashboard_views.dashboard_targets,
        name="dashboard_targets",
    ),
]

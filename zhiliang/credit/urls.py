from django.urls import path

from zhiliang.credit import views

app_name = "credit"

urlpatterns = [
    path("", views.listing_list, name="listing_list"),
    path("records/new/", views.record_new, name="record_new"),
    path("enterprises/<str:uscc>/", views.enterprise_credit, name="enterprise"),
    path("records/<int:record_id>/propose/", views.listing_propose, name="listing_propose"),
    path("listings/<int:pk>/", views.listing_detail, name="listing"),
    path("listings/<int:pk>/<slug:step>/", views.listing_step, name="listing_step"),
    path("records/<int:record_id>/repair/", views.repair_apply, name="repair_apply"),
    path("repairs/<int:pk>/", views.repair_detail, name="repair"),
    path("repairs/<int:pk>/<slug:step>/", views.repair_step, name="repair_step"),
    path("risk/", views.risk_list, name="risk_list"),
    path("records/import/", views.record_import, name="record_import"),
    path("records/import/template/", views.record_import_template, name="record_import_template"),
    path(
        "records/import/problems/<slug:token>/",
        views.record_import_problems,
        name="record_import_problems",
    ),
]

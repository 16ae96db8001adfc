from django.urls import path

from zhiliang.inspections import views

app_name = "inspections"

urlpatterns = [
    path("", views.sample_list, name="sample_list"),
    path("samples/new/", views.sample_new, name="sample_new"),
    # Sample numbers may contain "/" (e.g. GC2026/0001): the path converter keeps them whole.
    path("sample-steps/<slug:step>/<path:sample_no>/", views.sample_step, name="sample_step"),
    path("samples/<path:sample_no>/", views.sample_detail, name="sample_detail"),
    path("plans/", views.plan_list, name="plan_list"),
    path("plans/new/", views.plan_new, name="plan_new"),
    path("plans/<slug:code>/", views.plan_detail, name="plan_detail"),
    path("plans/<slug:code>/quota/", views.plan_quota, name="plan_quota"),
    path("plans/<slug:code>/draw/", views.plan_draw, name="plan_draw"),
    path("plans/<slug:code>/verify/", views.plan_verify, name="plan_verify"),
    path("import/", views.import_view, name="import"),
    path("import/problems/<slug:token>/", views.import_errors, name="import_errors"),
    path("pass-rates/", views.pass_rate_view, name="pass_rates"),
    path("targets/", views.target_view, name="targets"),
    path("referrals/", views.referral_list, name="referral_list"),
    path("categories/", views.category_list, name="category_list"),
]

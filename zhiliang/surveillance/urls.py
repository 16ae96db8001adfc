from django.urls import path

from zhiliang.surveillance import views

app_name = "surveillance"

urlpatterns = [
    path("", views.case_list, name="case_list"),
    path("cases/new/", views.case_new, name="case_new"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("cases/<int:pk>/correct/", views.case_correct, name="case_correct"),
    path("import/", views.case_import, name="case_import"),
    path("import/template/", views.case_import_template, name="case_import_template"),
    path("import/problems/<slug:token>/", views.case_import_problems, name="case_import_problems"),
    path("estimates/", views.estimates, name="estimates"),
]

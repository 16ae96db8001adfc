from django.urls import path

from zhiliang.registry import views

app_name = "registry"
urlpatterns = [
    path("organisations/", views.organisation_list, name="organisation_list"),
    path("enterprises/", views.enterprise_list, name="enterprise_list"),
    path("enterprises/import/", views.enterprise_import_view, name="enterprise_import"),
    path("holidays/", views.holiday_arrangements, name="holiday_arrangements"),
]

from django.urls import path

from zhiliang.signals import views

app_name = "signals"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/", views.signal_detail, name="signal"),
    path("cases/", views.case_list, name="case_list"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("warnings/<int:pk>/<slug:step>/", views.warning_step, name="warning_step"),
]

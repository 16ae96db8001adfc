from django.urls import path

from zhiliang.portal import views

app_name = "portal"
urlpatterns = [
    path("duties/", views.duty_index, name="duty_index"),
    path("duties/<slug:key>/", views.duty_list, name="duty_list"),
    path("credit/", views.credit_search, name="credit_search"),
    path("warnings/", views.warning_list, name="warning_list"),
    path("warnings/<int:pk>/", views.warning_detail, name="warning"),
    path("warnings/<int:pk>/photo/", views.warning_photo, name="warning_photo"),
]

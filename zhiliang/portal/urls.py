from django.urls import path

from zhiliang.portal import views

app_name = "portal"
urlpatterns = [
    path("duties/", views.duty_index, name="duty_index"),
    path("duties/<slug:key>/", views.duty_list, name="duty_list"),
    path("credit/", views.credit_search, name="credit_search"),
]

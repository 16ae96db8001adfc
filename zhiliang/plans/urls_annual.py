from django.urls import path

from zhiliang.plans import annual_views

urlpatterns = [
    path("<int:plan_id>/annual/<int:year>/", annual_views.annual, name="annual"),
    path("<int:plan_id>/annual/<int:year>/pdf/", annual_views.annual_pdf, name="annual_pdf"),
]

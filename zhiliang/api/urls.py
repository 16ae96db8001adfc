from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from zhiliang.accounts.access import IsMember
from zhiliang.api import views
from zhiliang.surveillance.api import CaseList

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(permission_classes=[IsMember]), name="schema"),
    path("token/", views.ObtainToken.as_view(), name="token"),
    path("plans/", views.PlanList.as_view(), name="plan_list"),
    path("plans/<int:pk>/", views.PlanDetail.as_view(), name="plan_detail"),
    path("targets/", views.TargetList.as_view(), name="target_list"),
    path("organisations/", views.OrganisationList.as_view(), name="organisation_list"),
    path("enterprises/", views.EnterpriseList.as_view(), name="enterprise_list"),
    path("enterprises/import/", views.EnterpriseImport.as_view(), name="enterprise_import"),
    path("audit/", views.AuditList.as_view(), name="audit_list"),
    path("uscc/check/", views.UsccCheck.as_view(), name="uscc_check"),
    path("credit/check", views.CreditCheck.as_view(), name="credit_check"),
    path("credit/records", views.CreditRecordFeed.as_view(), name="credit_records"),
    path("surveillance/cases", CaseList.as_view(), name="surveillance_cases"),
    # Anything else under /api/ answers in the envelope too, not with an HTML page.
    re_path(r"^.*$", views.not_found, name="not_found"),
]

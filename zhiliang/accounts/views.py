from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from zhiliang.accounts.access import OFFICE, require_roles
from zhiliang.accounts.models import AuditEntry


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


@require_roles(OFFICE)
def audit_log(request: HttpRequest) -> HttpResponse:
    entries = AuditEntry.objects.all()
    action = request.GET.get("action", "").strip()
    if action:
        entries = entries.filter(action=action)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    actions = AuditEntry.objects.order_by("action").values_list("action", flat=True).distinct()
    return render(
        request,
        "accounts/audit_log.html",
        {"page": page, "action": action, "actions": list(actions)},
    )

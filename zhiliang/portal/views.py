"""Public pages: no login, only published data."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from zhiliang.portal.selectors import published_departments, published_duties
from zhiliang.registry.models import Organisation


def duty_index(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/duty_index.html", {"departments": published_departments()})


def duty_list(request: HttpRequest, key: str) -> HttpResponse:
    organisation = get_object_or_404(Organisation, key=key)
    duties = published_duties(organisation)
    if not duties:
        raise Http404  # a department with nothing published is not shown at all
    return render(
        request, "portal/duty_list.html", {"organisation": organisation, "duties": duties}
    )

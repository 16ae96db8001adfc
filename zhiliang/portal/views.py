"""Public pages: no login, only published data."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from zhiliang.credit.listings import MEASURES
from zhiliang.credit.selectors import NAME_CANDIDATES, PublicAnswer, public_credit
from zhiliang.portal.ratelimit import allow
from zhiliang.portal.selectors import published_departments, published_duties
from zhiliang.registry.models import Organisation
from zhiliang.signals.selectors import published_warnings

#: Public credit queries a client may make per minute.
CREDIT_QUERIES_PER_MINUTE = 30


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


def credit_search(request: HttpRequest) -> HttpResponse:
    """Public credit query: penalties published within their term and listings on the
    严重违法失信名单 in force; nothing unpublished, expired, repaired or internal."""
    query = request.GET.get("q", "").strip()
    if query and not allow(request, "credit", limit=CREDIT_QUERIES_PER_MINUTE):
        response = render(request, "portal/credit_search.html", {"query": query, "limited": True})
        response.status_code = 429
        return response
    today = timezone.localdate()
    answer = public_credit(query, today=today) if query else PublicAnswer([])
    return render(
        request,
        "portal/credit_search.html",
        {
            "query": query,
            "results": answer.results,
            "too_many": answer.too_many,
            "candidates": NAME_CANDIDATES,
            "today": today,
            "measures": MEASURES.values(),
        },
    )


def warning_list(request: HttpRequest) -> HttpResponse:
    """Published consumer warnings (购物消费警示), newest first; nothing unpublished."""
    page = Paginator(published_warnings(), 20).get_page(request.GET.get("page"))
    return render(request, "portal/warning_list.html", {"page": page})


def warning_detail(request: HttpRequest, pk: int) -> HttpResponse:
    warning = get_object_or_404(published_warnings(), pk=pk)
    return render(request, "portal/warning_detail.html", {"warning": warning})


def warning_photo(request: HttpRequest, pk: int) -> FileResponse:
    warning = get_object_or_404(published_warnings().exclude(photo=""), pk=pk)
    return FileResponse(warning.photo.open("rb"))

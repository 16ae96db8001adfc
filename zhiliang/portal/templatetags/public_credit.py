"""The public credit page's results, rendered in one call.

The page is the one the public may ask any number of (issue 5: p95 < 50 ms under 20
concurrent clients on two cores). Through the template language each enterprise found
cost a dozen nodes and each cell a variable lookup, a method call and an escape: the
results took 0.22 ms of the page's 0.47 ms of rendering. Here the same markup is put
together in Python (0.08 ms), every value from the database escaped; the labels are the
page's own, translated once per page."""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from zhiliang.credit.selectors import PublicCredit, PublicListing, PublicRecord

register = template.Library()


def _listings(listings: list[PublicListing], measures: str) -> str:
    term = _("列入日期 %(listed)s，期限至 %(last)s")
    title, applied = escape(_("严重违法失信名单")), escape(_("依法采取的管理措施："))
    items = "\n".join(
        f"<li>{escape(term % {'listed': x.listed_on.isoformat(), 'last': x.last_day.isoformat()})}"
        f"：{escape(x.reasons)}（{escape(x.basis)}）</li>"
        for x in listings
    )
    return f"<h3>{title}</h3>\n<ul>{items}</ul>\n<p>{applied}</p>\n<ul>{measures}</ul>\n"


def _records(records: list[PublicRecord], head: str) -> str:
    rows = "".join(
        f"<tr><td>{escape(r.document_no)}</td><td>{r.decided_on.isoformat()}</td>"
        f"<td>{escape(r.source_name)}</td><td>{escape(r.summary)}</td>"
        f"<td>{r.public_until.isoformat()}</td></tr>"
        for r in records
    )
    return f'<table class="grid">{head}<tbody>{rows}</tbody></table>\n'


@register.simple_tag
def credit_results(results: list[PublicCredit], measures: Iterable[str]) -> SafeString:
    """Each enterprise found: its name and code, its listings in force with the measures
    that apply, and its public penalties (dates as YYYY-MM-DD)."""
    if not results:
        nothing = escape(_("没有找到相符的企业。"))
        return mark_safe(f"<p>{nothing}</p>\n")
    labels = (_("决定文书号"), _("决定日期"), _("来源单位"), _("摘要"), _("公示截止日期"))
    head = "<thead><tr>" + "".join(f"<th>{escape(x)}</th>" for x in labels) + "</tr></thead>"
    penalties = "<h3>" + escape(_("行政处罚信息")) + "</h3>\n"
    none = "<p>" + escape(_("公示期内无行政处罚信息。")) + "</p>\n"
    applied = "".join(f"<li>{escape(_(m))}</li>" for m in measures)
    parts = []
    for r in results:
        parts.append(
            f'<section class="credit-result">\n<h2>{escape(r.enterprise.name)} '
            f"<small>{escape(r.enterprise.uscc)}</small></h2>\n"
        )
        if r.listings:
            parts.append(_listings(r.listings, applied))
        parts.append(penalties)
        parts.append(_records(r.records, head) if r.records else none)
        parts.append("</section>\n")
    return mark_safe("".join(parts))  # every value in it escaped above

"""The 严重违法失信名单 from proposal to removal, with dates at the edges, and the
joint-punishment check (command and API)."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from zhiliang.accounts.models import AuditEntry
from zhiliang.credit import listings as svc
from zhiliang.credit.models import Listing
from zhiliang.credit.selectors import risk_explained
from zhiliang.credit.services import record_create
from zhiliang.inspections.tests import factories as f

D = dt.date
TODAY = D(2030, 1, 1)  # far enough for every step; dates are passed explicitly


DECIDED = D(2025, 3, 3)
APPROVED = D(2025, 3, 25)


def _penalty(actor, enterprise, *, heavier=True, no="渝中市监罚〔2025〕5号", on=DECIDED):
    return record_create(
        actor=actor,
        enterprise=enterprise,
        kind="penalty",
        heavier=heavier,
        document_no=no,
        decided_on=on,
        source_name="重庆市渝中区市场监督管理局",
        today=D(2025, 12, 31),
    )


def _notified(users, firm=None):
    firm = firm or f.enterprise(f.YUZHONG)
    record = _penalty(users["district"], firm)
    listing = svc.listing_propose(
        actor=users["district"],
        record=record,
        reasons="生产销售不合格电热水壶，货值金额巨大",
        basis="《市场监督管理严重违法失信名单管理办法》第七条",
        proposed_on=D(2025, 3, 10),
        today=TODAY,
    )
    # Notice on Monday 17 March 2025: five working days, to Monday 24 March.
    return svc.listing_notify(
        actor=users["district"], listing=listing, notified_on=D(2025, 3, 17), today=TODAY
    )


def test_only_heavier_penalties_without_a_case_are_candidates(users):
    firm = f.enterprise()
    heavy = _penalty(users["office"], firm, no="1")
    _penalty(users["office"], firm, heavier=False, no="2")
    assert svc.listing_candidates() == [heavy]
    svc.listing_propose(
        actor=users["office"],
        record=heavy,
        reasons="r",
        basis="b",
        proposed_on=D(2025, 3, 4),
        today=TODAY,
    )
    assert svc.listing_candidates() == []


def test_a_plain_penalty_cannot_found_a_listing(users):
    record = _penalty(users["office"], f.enterprise(), heavier=False)
    with pytest.raises(ValidationError):
        svc.listing_propose(
            actor=users["office"],
            record=record,
            reasons="r",
            basis="b",
            proposed_on=D(2025, 3, 4),
            today=TODAY,
        )


def test_notice_opens_a_five_working_day_objection_window(users):
    listing = _notified(users)
    assert listing.objection_due == D(2025, 3, 24)
    with pytest.raises(ValidationError):  # day 6
        svc.listing_object(
            actor=users["district"], listing=listing, filed_on=D(2025, 3, 25), text="x", today=TODAY
        )
    svc.listing_object(
        actor=users["district"], listing=listing, filed_on=D(2025, 3, 24), text="x", today=TODAY
    )
    assert Listing.objects.get().status == "objected"


def test_an_upheld_objection_drops_the_case(users):
    listing = _notified(users)
    svc.listing_object(
        actor=users["district"],
        listing=listing,
        filed_on=D(2025, 3, 20),
        text="已整改",
        today=TODAY,
    )
    svc.listing_decide_objection(
        actor=users["district"],
        listing=listing,
        decided_on=D(2025, 3, 25),
        upheld=True,
        reply="经核实，异议成立。",
        today=TODAY,
    )
    listing.refresh_from_db()
    assert listing.status == "dropped"
    with pytest.raises(ValidationError):
        svc.listing_approve(
            actor=users["office"], listing=listing, approved_on=D(2025, 4, 1), today=TODAY
        )
    assert svc.credit_check(listing.enterprise.uscc, today=D(2025, 4, 2))["listed"] is False


def test_a_rejected_objection_leads_to_approval_by_the_city_and_three_years(users):
    listing = _notified(users)
    svc.listing_object(
        actor=users["district"],
        listing=listing,
        filed_on=D(2025, 3, 20),
        text="处罚过重",
        today=TODAY,
    )
    svc.listing_decide_objection(
        actor=users["district"],
        listing=listing,
        decided_on=D(2025, 3, 27),
        upheld=False,
        reply="经核实，异议不成立。",
        today=TODAY,
    )
    with pytest.raises(PermissionDenied):  # a district bureau needs the city's approval
        svc.listing_approve(
            actor=users["district"], listing=listing, approved_on=D(2025, 4, 1), today=TODAY
        )
    with pytest.raises(ValidationError):
        svc.listing_approve(
            actor=users["office"], listing=listing, approved_on=D(2025, 4, 1), years=4, today=TODAY
        )
    svc.listing_approve(
        actor=users["office"], listing=listing, approved_on=D(2025, 4, 1), today=TODAY
    )
    listing.refresh_from_db()
    assert (listing.status, listing.listed_on, listing.last_day) == (
        "listed",
        D(2025, 4, 1),
        D(2028, 4, 1),
    )
    actions = list(
        AuditEntry.objects.filter(action__startswith="credit.listing.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "credit.listing.propose",
        "credit.listing.notify",
        "credit.listing.object",
        "credit.listing.objection_decide",
        "credit.listing.approve",
    ]


def test_without_an_objection_approval_waits_for_the_window_to_close(users):
    listing = _notified(users)
    with pytest.raises(ValidationError):
        svc.listing_approve(
            actor=users["office"], listing=listing, approved_on=D(2025, 3, 24), today=TODAY
        )
    svc.listing_approve(
        actor=users["office"], listing=listing, approved_on=D(2025, 3, 25), today=TODAY
    )


def _listed(users, approved_on=APPROVED):
    listing = _notified(users)
    return svc.listing_approve(
        actor=users["office"], listing=listing, approved_on=approved_on, today=TODAY
    )


def test_early_removal_on_day_365_is_refused_and_allowed_the_day_after(users):
    listing = _listed(users)  # listed 25 March 2025
    conditions = {"obligations_fulfilled": True, "harm_removed": True}
    with pytest.raises(ValidationError) as err:
        svc.listing_remove_early(
            actor=users["district"],
            listing=listing,
            removed_on=D(2026, 3, 25),
            evidence="缴纳罚款凭证",
            today=TODAY,
            **conditions,
        )
    assert "2026-03-26" in err.value.messages[0]
    svc.listing_remove_early(
        actor=users["district"],
        listing=listing,
        removed_on=D(2026, 3, 26),
        evidence="缴纳罚款凭证",
        today=TODAY,
        **conditions,
    )
    assert svc.credit_check(listing.enterprise.uscc, today=D(2026, 3, 25))["listed"] is True
    assert svc.credit_check(listing.enterprise.uscc, today=D(2026, 3, 26))["listed"] is False


def test_a_new_heavier_penalty_bars_early_removal(users):
    listing = _listed(users)
    _penalty(users["office"], listing.enterprise, no="新号", on=D(2025, 6, 1))
    unmet = svc.early_removal_unmet(
        listing, on=D(2026, 6, 1), obligations_fulfilled=True, harm_removed=False
    )
    assert unmet == ["尚未主动整改、消除危害后果和不良影响", "列入后又受到较重行政处罚"]


def test_a_listing_ends_by_itself_after_its_term(users):
    listing = _listed(users)  # last day 25 March 2028
    uscc = listing.enterprise.uscc
    assert svc.credit_check(uscc, today=D(2028, 3, 25))["listed"] is True
    assert svc.credit_check(uscc, today=D(2028, 3, 26))["listed"] is False  # before expire runs
    assert svc.listings_expire(today=D(2028, 3, 25)) == 0
    assert svc.listings_expire(today=D(2028, 3, 26)) == 1
    listing.refresh_from_db()
    assert (listing.status, listing.removal, listing.removed_on) == (
        "removed",
        "expired",
        D(2028, 3, 26),
    )


def test_the_check_says_what_applies(users):
    listing = _listed(users)
    result = svc.credit_check(listing.enterprise.uscc.lower(), today=D(2025, 6, 1))
    assert result["listed"] is True and result["name"] == listing.enterprise.name
    assert result["listings"][0]["last_day"] == "2028-03-25"
    assert [m["key"] for m in result["measures"]] == list(svc.MEASURES)
    clean = f.enterprise()
    assert svc.credit_check(clean.uscc)["measures"] == []
    assert svc.credit_check("91500000000000000X") is None


def test_the_check_command_prints_json(users):
    listing = _listed(users, approved_on=dt.date.today() - dt.timedelta(days=30))
    out = io.StringIO()
    call_command("credit", "check", listing.enterprise.uscc, stdout=out)
    assert json.loads(out.getvalue())["listed"] is True


def test_the_check_api(users, client):
    listing = _listed(users, approved_on=dt.date.today() - dt.timedelta(days=30))
    url = f"/api/credit/check?uscc={listing.enterprise.uscc}"
    client.force_login(users["office"])
    body = client.get(url).json()
    assert body["listed"] is True and body["measures"][0]["key"] == "licensing_review"
    assert client.get("/api/credit/check?uscc=123").status_code == 400
    assert client.get(f"/api/credit/check?uscc={f.uscc(f.YUZHONG, 999)}").status_code == 404
    for persona in ("outsider", "hospital", "enterprise_user"):
        client.force_login(users[persona])
        assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code in (401, 403)


def test_a_listed_party_is_class_d_while_listed(users):
    from zhiliang.credit.models import RiskAssessment

    listing = svc.listing_approve(
        actor=users["office"], listing=_notified(users), approved_on=APPROVED, today=APPROVED
    )  # classified as of the day of approval
    risk = RiskAssessment.objects.get(enterprise=listing.enterprise)
    explained = risk_explained(risk)
    assert risk.risk_class == "D" and explained.listings == [listing] and explained.current
    svc.listing_remove_early(
        actor=users["district"],
        listing=listing,
        removed_on=D(2026, 4, 1),
        evidence="凭证",
        obligations_fulfilled=True,
        harm_removed=True,
        today=D(2026, 4, 1),
    )
    risk = RiskAssessment.objects.get(enterprise=listing.enterprise)  # stored anew
    assert risk.risk_class != "D" and risk_explained(risk).listings == []


def test_a_notice_into_a_year_without_its_holidays_is_refused_with_the_reason(
    users, client_as, monkeypatch
):
    """Five working days from 30 December of a year whose arrangement neither the
    library nor the office has: the step is refused with what to do, nothing changes."""
    from django.urls import reverse

    firm = f.enterprise(f.YUZHONG)
    listing = svc.listing_propose(
        actor=users["district"],
        record=_penalty(users["district"], firm),
        reasons="生产销售不合格电热水壶，货值金额巨大",
        basis="《市场监督管理严重违法失信名单管理办法》第七条",
        proposed_on=D(2025, 3, 10),
        today=TODAY,
    )
    monkeypatch.setattr(svc.timezone, "localdate", lambda *args: D(2097, 12, 30))
    page = client_as("district").post(
        reverse("credit:listing_step", args=[listing.pk, "notify"]),
        {"notify-notified_on": "2097-12-30"},
        follow=True,
    )
    assert "2097年的节假日安排尚未录入" in page.content.decode()
    listing.refresh_from_db()
    assert listing.status == Listing.Status.PROPOSED and listing.notified_on is None

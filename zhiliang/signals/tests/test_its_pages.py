"""The early-warning pages: closed to everyone but the quality office and city
departments; a walk from the inbox to a published warning through the forms; the
public sees only published warnings."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from zhiliang.registry.models import Organisation
from zhiliang.signals import services as s
from zhiliang.signals.models import ConsumerWarning, RiskCase, Signal

MONDAY = dt.date(2026, 1, 5)


@pytest.fixture
def signal(db) -> Signal:
    counts = np.full((1, 20), 5.0)
    counts[0, -1] = 40
    s.run_detection(
        method="ears-c1",
        series=[s.Series("category=A|district=500103", "A", "500103")],
        counts=counts,
        first_week=MONDAY,
        source="测试（生成数据）",
    )
    return Signal.objects.get()


OUTSIDERS = [None, "district", "inspector", "hospital", "enterprise_user"]


@pytest.mark.parametrize("who", OUTSIDERS)
def test_every_page_refuses_outsiders(users, client_as, signal, who):
    case = s.case_open(
        actor=users["office"],
        signal=signal,
        title="案件",
        organisation=Organisation.objects.get(key="cq-joint-office"),
    )
    warning = s.warning_draft(
        actor=users["office"], case=case, title="t", product="p", hazard="h", advice="a"
    )
    client = client_as(who)
    for url in (
        "/signals/",
        f"/signals/{signal.pk}/",
        "/signals/cases/",
        f"/signals/cases/{case.pk}/",
    ):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        if response.status_code == 302:
            assert "/login" in response["Location"]
    for url, data in [
        (f"/signals/{signal.pk}/", {"step": "dismiss", "reason": "x"}),
        (f"/signals/cases/{case.pk}/", {"step": "recall", "recall-to": "x", "recall-note": "y"}),
        (f"/signals/warnings/{warning.pk}/submit/", {}),
    ]:
        assert client.post(url, data).status_code in (302, 403)
    assert Signal.objects.get().status == Signal.Status.CASE  # unchanged by any of them
    assert not case.actions.exists()
    assert ConsumerWarning.objects.get().status == ConsumerWarning.Status.DRAFT


def test_from_the_inbox_to_a_published_warning(users, client_as, signal):
    dept, office = client_as("department"), client_as("office")
    inbox = dept.get("/signals/").content.decode()
    assert f"/signals/{signal.pk}/" in inbox
    page = dept.get(f"/signals/{signal.pk}/").content.decode()
    assert "2026-05-18" in page  # the signal's week, with the last weeks' counts
    response = dept.post(
        f"/signals/{signal.pk}/",
        {"step": "case", "title": "电动自行车电池起火", "hazard": "热失控"},
    )
    case = RiskCase.objects.get()
    assert response["Location"] == f"/signals/cases/{case.pk}/"
    assert Signal.objects.get().status == Signal.Status.CASE
    # an assessment with a bad line is refused and says which line
    bad = dept.post(
        f"/signals/cases/{case.pk}/",
        {
            "step": "assess",
            "product": "电池",
            "s1-hazard": "起火",
            "s1-consumer": "成人",
            "s1-steps": "充电过夜",
            "s1-injury": "烧伤",
            "s1-severity": "4",
        },
        follow=True,
    ).content.decode()
    assert "第 1 行应为" in bad and not case.assessments.exists()
    dept.post(
        f"/signals/cases/{case.pk}/",
        {
            "step": "assess",
            "product": "某型号电动自行车电池",
            "s1-hazard": "起火",
            "s1-consumer": "成人",
            "s1-steps": "室内充电过夜 | 1/10\n电池热失控 | 1/1000",
            "s1-injury": "重度烧伤",
            "s1-severity": "4",
        },
    )
    assert case.assessments.get().risk == "H"  # 1/10 000 is "> 1/100 000", severity 4
    photo = SimpleUploadedFile("b.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, content_type="image/png")
    dept.post(
        f"/signals/cases/{case.pk}/",
        {
            "step": "warning",
            "warning-title": "电动自行车电池请勿室内过夜充电",
            "warning-product": "电动自行车锂电池",
            "warning-hazard": "热失控起火",
            "warning-advice": "不在室内和楼道充电",
            "warning-photo": photo,
        },
    )
    warning = ConsumerWarning.objects.get()
    assert warning.photo
    public = client_as(None)
    assert public.get(f"/public/warnings/{warning.pk}/").status_code == 404  # a draft
    dept.post(f"/signals/warnings/{warning.pk}/submit/")
    refused = dept.post(f"/signals/warnings/{warning.pk}/publish/", follow=True).content.decode()
    assert "只有质量办人员可以审核发布消费警示" in refused
    office.post(f"/signals/warnings/{warning.pk}/publish/")
    warning.refresh_from_db()
    assert warning.status == ConsumerWarning.Status.PUBLISHED
    listing = public.get("/public/warnings/").content.decode()
    assert "电动自行车电池请勿室内过夜充电" in listing
    assert public.get(f"/public/warnings/{warning.pk}/photo/").status_code == 200
    office.post(f"/signals/warnings/{warning.pk}/withdraw/", {"reason": "产品已整改"})
    assert public.get(f"/public/warnings/{warning.pk}/").status_code == 404
    assert "电动自行车电池请勿室内过夜充电" not in public.get("/public/warnings/").content.decode()
    assert public.get(f"/public/warnings/{warning.pk}/photo/").status_code == 404


def test_a_signal_can_be_dismissed_with_a_reason_on_its_page(users, client_as, signal):
    client = client_as("office")
    page = client.post(f"/signals/{signal.pk}/", {"step": "dismiss", "reason": ""}, follow=True)
    assert Signal.objects.get().status == Signal.Status.NEW
    assert "排除理由" in page.content.decode()
    client.post(f"/signals/{signal.pk}/", {"step": "dismiss", "reason": "节假日集中就诊"})
    assert Signal.objects.get().dismiss_reason == "节假日集中就诊"
    assert f"/signals/{signal.pk}/" not in client.get("/signals/").content.decode()
    assert f"/signals/{signal.pk}/" in client.get("/signals/?status=dismissed").content.decode()


def test_a_warning_photo_must_be_an_image_within_the_limit(users, client_as, signal, settings):
    client = client_as("office")
    client.post(f"/signals/{signal.pk}/", {"step": "case", "title": "案件"})
    case = RiskCase.objects.get()
    fields = {
        "step": "warning",
        "warning-title": "t",
        "warning-product": "p",
        "warning-hazard": "h",
        "warning-advice": "a",
    }
    fake = SimpleUploadedFile("x.png", b"<html>not an image</html>", content_type="image/png")
    page = client.post(f"/signals/cases/{case.pk}/", {**fields, "warning-photo": fake}, follow=True)
    assert "图片须为 JPG 或 PNG 文件" in page.content.decode()
    settings.UPLOAD_MAX_BYTES = 100
    big = SimpleUploadedFile("x.jpg", b"\xff\xd8\xff" + b"0" * 200, content_type="image/jpeg")
    page = client.post(f"/signals/cases/{case.pk}/", {**fields, "warning-photo": big}, follow=True)
    assert "图片不能超过" in page.content.decode()
    assert not ConsumerWarning.objects.exists()
    jpeg = SimpleUploadedFile("x.jpg", b"\xff\xd8\xff" + b"0" * 50, content_type="image/jpeg")
    client.post(f"/signals/cases/{case.pk}/", {**fields, "warning-photo": jpeg})
    assert ConsumerWarning.objects.get().photo

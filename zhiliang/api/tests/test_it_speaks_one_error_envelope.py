from __future__ import annotations

from rest_framework.authtoken.models import Token


def test_a_token_authenticates_api_calls(users, seed_plan, client):
    token = Token.objects.create(user=users["department"])
    response = client.get("/api/plans/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert response.json()["results"][0]["doc_number"] == "渝府办发〔2015〕101号"
    bad = client.get("/api/plans/", HTTP_AUTHORIZATION="Token not-a-token")
    assert bad.status_code in (401, 403)
    assert set(bad.json()) == {"message", "extra"}


def test_the_plan_detail_nests_items_units_and_targets(client_as, seed_plan):
    data = client_as("office").get(f"/api/plans/{seed_plan.pk}/").json()
    two = next(i for i in data["items"] if i["label"] == "（二）")
    assert [r["organisation"] for r in two["responsibilities"]] == [
        "cq-rsj",
        "cq-jw",
        "cq-jxw",
        "cq-zjj",
    ]
    assert two["targets"][0]["unit"] == "人"


def test_validation_errors_and_missing_objects_use_the_envelope(client_as, seed_plan):
    client = client_as("office")
    bad = client.post("/api/uscc/check/", {"codes": []}, content_type="application/json")
    assert bad.status_code == 400
    assert bad.json()["message"] and "codes" in bad.json()["extra"]["fields"]
    missing = client.get("/api/plans/99999/")
    assert missing.status_code == 404 and set(missing.json()) == {"message", "extra"}


def test_uscc_check_reports_each_code(client_as, registry):
    response = client_as("hospital").post(
        "/api/uscc/check/",
        {"codes": ["91500108MAE5G7MX3H", "91500000202801640M"]},
        content_type="application/json",
    )
    results = response.json()["results"]
    assert [r["valid"] for r in results] == [True, False]
    assert "'A'" in results[1]["reason"]


def test_an_enterprise_import_by_api_rejects_bad_rows_with_row_numbers(client_as, registry):
    from django.core.files.uploadedfile import SimpleUploadedFile

    body = "uscc,name,district\n91500108MAE5G7MX3H,演示企业（演示数据）,500108\n123,坏,500103\n"
    upload = SimpleUploadedFile("e.csv", body.encode("utf-8"))
    response = client_as("office").post("/api/enterprises/import/", {"file": upload})
    assert response.status_code == 400
    assert response.json()["extra"]["rows"][0]["row"] == 3


def test_the_schema_describes_the_endpoints(client_as, registry):
    response = client_as("office").get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert b"/api/plans/{id}/" in response.content
    assert b"/api/enterprises/import/" in response.content


def test_unknown_api_paths_answer_in_the_envelope(client_as, registry):
    for url in ("/api/nope/", "/api/plans/abc/"):
        response = client_as("office").get(url)
        assert response.status_code == 404
        assert response.json()["message"] == "接口地址不存在。"
    missing = client_as("office").get("/api/plans/99999/")
    assert missing.json()["message"] == "未找到该对象。"

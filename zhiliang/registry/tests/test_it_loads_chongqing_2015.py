from __future__ import annotations

import csv
from pathlib import Path

from zhiliang.accounts.models import AuditEntry
from zhiliang.registry.models import Division, Organisation, OrganisationAlias
from zhiliang.registry.services import registry_load_chongqing_2015

DIVISIONS = Path(__file__).resolve().parents[1] / "data" / "chongqing_2015_derived.csv"


def test_it_loads_the_38_districts_of_2015_as_governments(db):
    registry_load_chongqing_2015(actor=None)
    districts = Organisation.objects.filter(kind=Organisation.Kind.DISTRICT)
    assert districts.count() == 38
    with DIVISIONS.open(encoding="utf-8") as fh:
        counties = {r["code"]: r["name"] for r in csv.DictReader(fh) if r["level"] == "county"}
    assert {d.division_id for d in districts} == set(counties)
    # 2015 names, before 开县→开州区 (2016) and 武隆县→武隆区.
    assert Division.objects.get(code="500234").name == "开县"
    assert Organisation.objects.get(division_id="500232").name == "武隆县人民政府"
    assert OrganisationAlias.objects.get(alias="渝中区").organisation.division_id == "500103"


def test_it_resolves_the_short_names_documents_use(db):
    registry_load_chongqing_2015(actor=None)
    expected = {
        "市质监局": "重庆市质量技术监督局",
        "市经济信息委": "重庆市经济和信息化委员会",
        "重庆检验检疫局": "中华人民共和国重庆出入境检验检疫局",
        "人行重庆营管部": "中国人民银行重庆营业管理部",
        "市政府法制办": "重庆市人民政府法制办公室",
        "两江新区": "重庆两江新区管理委员会",
    }
    for alias, name in expected.items():
        assert OrganisationAlias.objects.get(alias=alias).organisation.name == name


def test_it_records_the_2018_merger_into_market_regulation(db):
    registry_load_chongqing_2015(actor=None)
    samr = Organisation.objects.get(key="cq-samr")
    assert {o.short_name for o in samr.predecessors.all()} == {
        "市质监局",
        "市工商局",
        "市食品药品监管局",
    }


def test_it_is_idempotent_and_audits_only_real_changes(db):
    first = registry_load_chongqing_2015(actor=None)
    assert first["organisations"] == 32 + 38
    second = registry_load_chongqing_2015(actor=None)
    assert second == {"divisions": 0, "organisations": 0, "aliases": 0}
    assert AuditEntry.objects.filter(action="registry.load").count() == 1

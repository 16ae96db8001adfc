from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from zhiliang.accounts.access import district_codes_of, roles_of
from zhiliang.accounts.models import AuditEntry


def test_it_adds_a_district_officer_by_short_name_and_audits_it(registry, capsys):
    call_command("user", "add", "yz01", "--organisation", "渝中区", "--role", "district_officer")
    out = capsys.readouterr().out
    assert out.startswith("created yz01 / ")
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="yz01")
    assert roles_of(user) == {"district_officer"}
    assert district_codes_of(user) == {"500103"}
    assert AuditEntry.objects.filter(action="user.create", object_repr="yz01").exists()
    assert (
        AuditEntry.objects.get(action="membership.grant").after["organisation"] == "渝中区人民政府"
    )


def test_it_refuses_an_unknown_organisation_and_writes_nothing(registry):
    with pytest.raises(CommandError, match="不存在"):
        call_command("user", "add", "x", "--organisation", "火星区", "--role", "district_officer")
    assert not AuditEntry.objects.filter(action="user.create").exists()


def test_grant_adds_a_second_role(registry, capsys):
    call_command("user", "add", "zj", "--organisation", "市质监局", "--role", "department_officer")
    call_command("user", "grant", "zj", "--organisation", "cq-zjj", "--role", "inspector")
    from django.contrib.auth import get_user_model

    assert roles_of(get_user_model().objects.get(username="zj")) == {
        "department_officer",
        "inspector",
    }


def test_the_district_officer_role_belongs_to_a_district(registry):
    from django.contrib.auth import get_user_model

    with pytest.raises(CommandError, match="区县政府"):
        call_command(
            "user", "add", "x", "--organisation", "重庆市人民政府", "--role", "district_officer"
        )
    assert not get_user_model().objects.filter(username="x").exists()

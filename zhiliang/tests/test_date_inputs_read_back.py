"""A date input shows its date in every language: the browser's date picker reads only
YYYY-MM-DD, and Django would otherwise write the language's format (2026/03/05)."""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.utils import translation

from zhiliang.widgets import DATE


class _Form(forms.Form):
    day = forms.DateField(widget=DATE)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_date_comes_back_as_the_picker_reads_it(language):
    with translation.override(language):
        html = str(_Form(initial={"day": dt.date(2026, 3, 5)})["day"])
        bound = str(_Form({"day": "2026-03-05"})["day"])
    assert 'type="date"' in html and 'value="2026-03-05"' in html
    assert 'value="2026-03-05"' in bound


def test_no_form_makes_its_own_date_input():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    own = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if "DateInput(" in p.read_text(encoding="utf-8")
        and p.name != "widgets.py"
        and "tests" not in p.parts
    ]
    assert own == []

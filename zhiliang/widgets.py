"""Form widgets shared by the apps."""

from __future__ import annotations

from django import forms

#: A date field as the browser's date picker. The value is written as YYYY-MM-DD, the
#: only form an ``<input type="date">`` reads: without ``format`` Django writes the
#: active language's date format (2026/11/26 in Chinese), which the browser shows as an
#: empty field when a form comes back with an error or an initial date.
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

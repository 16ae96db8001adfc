"""The layout's addresses, worked out once a process, are the ones {% url %} and
{% static %} give, and follow a change of script prefix or static URL."""

from __future__ import annotations

from django.template import Context, Template
from django.urls import set_script_prefix


def _render(src: str) -> str:
    return Template("{% load layout static %}" + src).render(Context({}))


def test_the_same_addresses_as_url_and_static(settings):
    for name in ("home", "portal:duty_index", "set_language", "accounts:login"):
        assert _render(f"{{% fixed_url '{name}' %}}") == _render(f"{{% url '{name}' %}}")
        assert _render(f"{{% fixed_url '{name}' %}}").startswith("/")
    css = "{% fixed_static 'zhiliang/site.css' %}"
    assert _render(css) == _render("{% static 'zhiliang/site.css' %}")
    settings.STATIC_URL = "/assets/"
    assert (
        _render(css) == _render("{% static 'zhiliang/site.css' %}") == "/assets/zhiliang/site.css"
    )


def test_a_script_prefix_is_followed():
    try:
        set_script_prefix("/zhiliang/")
        assert _render("{% fixed_url 'home' %}") == "/zhiliang/"
    finally:
        set_script_prefix("/")
    assert _render("{% fixed_url 'home' %}") == "/"

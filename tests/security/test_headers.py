"""Security headers on pages, API answers and errors; no inline script anywhere in our markup.

The policy itself is checked in a real browser by tests/e2e/test_csp.py (no violation, no JS
error on the main pages of every role).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from rest_framework.test import APIClient

from salesgoals.models import Role
from tests.factories import UserFactory, company

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
SCRIPTS = sorted((ROOT / "static" / "js").rglob("*.js"))

EXPECTED_CSP = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'", "'unsafe-inline'"},
    "img-src": {"'self'", "data:", "blob:"},
    "font-src": {"'self'", "data:"},
    "connect-src": {"'self'"},
    "object-src": {"'none'"},
    "base-uri": {"'self'"},
    "form-action": {"'self'"},
    "frame-ancestors": {"'none'"},
}


def policy(response) -> dict[str, set[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = set(values)
    return directives


def assert_security_headers(response) -> None:
    assert policy(response) == EXPECTED_CSP
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    permissions = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in permissions


@pytest.fixture
def rep():
    return UserFactory(username="alice", role=Role.REP, org_unit=company())


def test_login_page(client) -> None:
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert_security_headers(response)


def test_signed_in_pages(client, rep) -> None:
    client.force_login(rep)
    for url in ("/", "/dashboards/rep/", "/targets/", "/notifications/", "/api/docs/"):
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        assert_security_headers(response)


def test_api_answers_and_errors(rep) -> None:
    api = APIClient()
    assert_security_headers(api.get("/api/v1/metrics/"))  # 401/403
    api.force_authenticate(rep)
    response = api.get("/api/v1/metrics/")
    assert response.status_code == 200
    assert_security_headers(response)
    response = api.post("/api/v1/deals/", {}, format="json")
    assert response.status_code == 400
    assert_security_headers(response)
    assert_security_headers(Client().post("/api/v1/auth/token/", {}))


def test_not_found_page_in_production_mode(client, rep, settings) -> None:
    settings.DEBUG = False  # django-csp leaves Django's debug 404 page alone
    client.force_login(rep)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert_security_headers(response)


def test_swagger_ui_loads_its_start_up_script_from_a_url(client, rep) -> None:
    client.force_login(rep)
    page = client.get("/api/docs/").content.decode()
    assert not re.search(r"<script>(?!\s*</script>)", page)
    src = re.search(r'<script src="([^"]*script=[^"]*)"', page).group(1)
    script = client.get(src.replace("&amp;", "&"))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content


# --- our markup: nothing a script-src 'self' policy would block --------------------------------
INLINE_SCRIPT = re.compile(
    r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I
)
HANDLER = re.compile(r"""\son[a-z]+\s*=\s*["']""", re.I)
JS_URL = re.compile(r"""(?:href|src|action|formaction)\s*=\s*["']\s*javascript:""", re.I)
HTMX_EVAL = re.compile(r"""\bhx-(?:on\b|on:|vars\b)|hx-vals\s*=\s*["']\s*js:""", re.I)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_have_no_inline_script(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert not INLINE_SCRIPT.search(text), "inline <script>: move it to static/js/"
    assert not HANDLER.search(text), "on…= handler: bind it in static/js/ instead"
    assert not JS_URL.search(text), "javascript: URL"
    assert not HTMX_EVAL.search(text), "htmx attribute that evaluates JavaScript"


def test_the_scan_catches_what_it_should() -> None:
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert INLINE_SCRIPT.search('<SCRIPT type="module">')
    assert not INLINE_SCRIPT.search('<script src="/static/js/x.js" defer></script>')
    assert not INLINE_SCRIPT.search('<script type="application/json" id="f">{}</script>')
    assert HANDLER.search('<select onchange="this.form.submit()">')
    assert not HANDLER.search('<select data-autosubmit name="on">')
    assert JS_URL.search('<a href="javascript:void(0)">')
    assert HTMX_EVAL.search('<button hx-on:click="x()">')


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_our_scripts_need_no_eval(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"\beval\s*\(|\bnew\s+Function\s*\(|setTimeout\(\s*[\"'`]", text)
    assert not re.search(r"""setAttribute\(\s*["']on""", text)

"""CSRF on every form and every state-changing URL.

Three nets, each cheap:
1. every `<form method="post">` in every template carries `{% csrf_token %}`;
2. each role crawls the site (links and htmx `hx-get` fragments, one visit per view) and
   every POST form served carries a `csrfmiddlewaretoken`; pages that post through htmx carry
   the token in `<body hx-headers>`;
3. a POST without the token is refused with 403 on every URL of the project (session users;
   the API through DRF's session authentication), while the same POST with the token is not.
"""

from __future__ import annotations

import datetime
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest
from django.test import Client
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone

from plans.services import actions as action_services
from salesgoals import selectors
from salesgoals.metric_catalog import seed_metrics
from salesgoals.models import Metric, OrgUnit, Role
from salesgoals.services import fiscal_year_generate
from targets import services as target_services
from targets.smart import PlanDraft
from tests.core.org_fixtures import build_org

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))

FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
POST = re.compile(r"""method\s*=\s*["']?post""", re.I)


# --- 1. templates ----------------------------------------------------------------------------
INCLUDE = re.compile(r"""{%\s*include\s+["']([^"']+)["'][^%]*%}""")


def with_includes(text: str, depth: int = 0) -> str:
    """The text with `{% include "literal" %}`s inlined (a form's fields may sit in a partial)."""
    if depth > 3:
        return text

    def inline(match: re.Match) -> str:
        included = ROOT / "templates" / match[1]
        if not included.is_file():
            return match[0]
        return with_includes(included.read_text(encoding="utf-8"), depth + 1)

    return INCLUDE.sub(inline, text)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_post_form_in_the_templates_has_a_csrf_token(path: Path) -> None:
    text = with_includes(path.read_text(encoding="utf-8"))
    for match in FORM.finditer(text):
        attributes, body = match.groups()
        if POST.search(attributes):
            assert "{% csrf_token %}" in body, f"{path.name}: <form{attributes[:80]}…>"


# --- 2. crawl --------------------------------------------------------------------------------
class PageParser(HTMLParser):
    """Links to follow, POST forms (with or without a token), htmx writes."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.forms: list[dict] = []  # {"action", "token"}
        self.open_forms: list[dict] = []
        self.htmx_writes = 0
        self.body_headers: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if a.get("hx-get"):
            self.links.append(a["hx-get"])
        if any(k in a for k in ("hx-post", "hx-put", "hx-patch", "hx-delete")):
            self.htmx_writes += 1
        if tag == "body":
            self.body_headers = a.get("hx-headers")
        if tag == "form":
            form = {"action": a.get("action", ""), "post": a.get("method", "").lower() == "post"}
            form["token"] = False
            self.open_forms.append(form)
        if tag == "input" and a.get("name") == "csrfmiddlewaretoken" and self.open_forms:
            self.open_forms[-1]["token"] = bool(a.get("value"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.open_forms:
            self.forms.append(self.open_forms.pop())


SKIP = ("/static/", "/media/", "/api/", "/accounts/logout", "/i18n/", "/admin/")
SKIP_SUFFIX = (".xlsx", ".csv", ".pdf")


def _follow(href: str) -> str | None:
    href, _ = urldefrag(href)
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    if parts.path.startswith(SKIP) or parts.path.endswith(SKIP_SUFFIX):
        return None
    if "format=" in parts.query or "export" in parts.path:
        return None
    return href


def _view_key(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name


def crawl(client: Client, starts: list[str], limit: int = 90) -> dict:
    """Visit each view once (its first URL met); return what was seen."""
    queue, seen_views, visited = list(starts), set(), 0
    missing: list[str] = []
    htmx_without_header: list[str] = []
    post_forms = 0
    while queue and visited < limit:
        url = queue.pop(0)
        key = _view_key(urlsplit(url).path)
        if key is None or key in seen_views:
            continue
        seen_views.add(key)
        response = client.get(url)
        if response.status_code in (301, 302):
            target = _follow(response["Location"])
            queue.extend([target] if target else [])
            continue
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        visited += 1
        parser = PageParser()
        parser.feed(response.content.decode())
        for form in parser.forms:
            if form["post"]:
                post_forms += 1
                if not form["token"]:
                    missing.append(f"{url} → form action={form['action']!r}")
        body_headers = parser.body_headers
        if parser.htmx_writes and body_headers is not None and "X-CSRFToken" not in body_headers:
            htmx_without_header.append(url)
        queue.extend(link for link in map(_follow, parser.links) if link)
    return {
        "views": seen_views,
        "visited": visited,
        "post_forms": post_forms,
        "missing": missing,
        "htmx_without_header": htmx_without_header,
    }


@pytest.fixture
def site():
    """The org of the core tests, this year's calendar, a target plan and an action plan."""
    if not Metric.objects.exists():  # a transactional test before this one flushed the catalog
        seed_metrics(Metric)
    org = build_org()
    today = timezone.localdate()
    fiscal_year = selectors.fiscal_year_for(today) or fiscal_year_generate(year=today.year)
    plan = target_services.plan_create(
        actor=org.executive,
        draft=PlanDraft(
            metric=Metric.objects.get(code="revenue"),
            fiscal_year=fiscal_year,
            org_unit=OrgUnit.objects.get_root_nodes().first(),
            value=1_200_000_00,
            description="Company revenue for the year, through every team.",
            objective="Grow revenue",
            warnings_reason="First year on SalesGoals.",
        ),
    )
    action_services.action_plan_create(
        actor=org.manager,
        title="Spring win-back",
        org_unit=org.manager.org_unit,
        owner=org.manager,
        start_date=today,
        end_date=today + datetime.timedelta(days=30),
        target_plan=plan,
    )
    return org


@pytest.mark.parametrize("role", [Role.REP, Role.MANAGER, Role.EXECUTIVE, Role.ADMIN])
def test_every_post_form_served_to_each_role_carries_the_token(site, role) -> None:
    client = Client()
    client.force_login(site.actor(role))
    home = client.get("/")
    assert home.status_code == 200
    starts = ["/", *(link for link in map(_follow, links_of(home)) if link)]
    seen = crawl(client, starts)
    # The crawl really walked the product: many views, many forms.
    assert seen["visited"] >= 20, seen["views"]
    assert seen["post_forms"] >= 5
    assert seen["missing"] == []
    assert seen["htmx_without_header"] == []


def links_of(response) -> list[str]:
    parser = PageParser()
    parser.feed(response.content.decode())
    return parser.links


def test_logged_out_pages_carry_the_token_too() -> None:
    client = Client()
    for url in ("/accounts/login/", "/accounts/password_reset/"):
        response = client.get(url)
        if response.status_code == 404:
            continue
        parser = PageParser()
        parser.feed(response.content.decode())
        posts = [f for f in parser.forms if f["post"]]
        assert posts, url
        assert all(f["token"] for f in posts), url


# --- 3. a POST without the token is refused everywhere ---------------------------------------
CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
REGEX_GROUP = re.compile(r"\(\?P<\w+>[^)]*\)")


def _sample(pattern: str) -> str | None:
    """A concrete path for a pattern (ints → 1, other parameters → "x")."""
    if "(?P<format>" in pattern or "<drf_format_suffix" in pattern:
        return None
    if "^" in pattern or "(?P<" in pattern:  # a regex (DRF routers, the admin)
        pattern = REGEX_GROUP.sub("1", pattern).replace("^", "").replace("$", "")
        pattern = pattern.replace("\\.", ".")
        if re.search(r"[\\()\[\]|?*+]", pattern):
            return None
    return CONVERTER.sub(lambda m: "1" if m.group(1) == "int" else "x", pattern)


def all_paths() -> list[str]:
    paths: list[str] = []

    def walk(resolver: URLResolver, prefix: str) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                walk(entry, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                sample = _sample(prefix + str(entry.pattern))
                if sample is not None:
                    paths.append("/" + sample)

    walk(get_resolver(), "")
    return sorted(set(paths))


def test_a_post_without_the_token_is_refused_on_every_url(site) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(site.admin)
    refused, other = [], []
    for path in all_paths():
        try:
            resolve(path)
        except Resolver404:
            continue
        response = client.post(path, {"name": "x"})
        # (DRF's answer is in `data` when an HTML renderer, e.g. Swagger UI's, drew the page.)
        said = response.content + str(getattr(response, "data", "")).encode()
        if response.status_code == 403 and b"CSRF" in said:
            refused.append((path, 403))
        else:
            other.append((path, response.status_code))
    assert len(refused) > 150
    # Every URL refuses for want of the token (Django's CSRF page or DRF's "CSRF Failed").
    assert other == []
    api = [p for p, _ in refused if p.startswith("/api/v1/")]
    assert len(api) > 50


def test_the_same_post_with_the_token_goes_through() -> None:
    org = build_org()
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.rep)
    page = client.get("/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]

    assert client.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 403
    response = client.post(
        "/i18n/setlang/", {"language": "en", "next": "/", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302

    # The API in a browser session: the header htmx and our scripts send
    assert client.post("/api/v1/deals/", {}, content_type="application/json").status_code == 403
    response = client.post(
        "/api/v1/deals/", {}, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 400

    # Log-in and log-out need it too
    anonymous = Client(enforce_csrf_checks=True)
    assert anonymous.post("/accounts/login/", {"username": "r"}).status_code == 403
    assert client.post("/accounts/logout/").status_code == 403
    assert client.get("/").status_code == 200


def test_token_authenticated_api_calls_need_no_csrf_token() -> None:
    from rest_framework.authtoken.models import Token

    org = build_org()
    key = Token.objects.create(user=org.rep).key
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/api/v1/deals/", {}, content_type="application/json", HTTP_AUTHORIZATION=f"Token {key}"
    )
    assert response.status_code == 400

"""No CDN: every asset a page loads comes from this server, so intranet installs work.

Scans the project's templates and static files for asset references to another host
(`src=`, `<link href=`, CSS `url(` / `@import`, JS that sets `.src` or imports from a URL),
then renders pages, the Swagger UI included, and checks what they load.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import UserFactory

ROOT = Path(settings.BASE_DIR)

# Another host: http://x, https://x or protocol-relative //x.
EXTERNAL = r"(?:https?:)?//[^\s\"'<>)]+"
# HTML (templates, SVG, and HTML inside JS strings): elements that load what `src`/`href` name.
HTML_ASSET = re.compile(
    r"<(?:script|img|iframe|frame|source|audio|video|embed|track|input|image|use)\b[^>]*?"
    rf"\b(?:src|srcset|data|poster|href|xlink:href)\s*=\s*[\"']?\s*({EXTERNAL})"
    rf"|<link\b[^>]*?\bhref\s*=\s*[\"']?\s*({EXTERNAL})"
    rf"|<object\b[^>]*?\bdata\s*=\s*[\"']?\s*({EXTERNAL})",
    re.IGNORECASE | re.DOTALL,
)
# CSS (files, <style> blocks, style="" attributes).
CSS_ASSET = re.compile(
    rf"url\(\s*[\"']?\s*({EXTERNAL})|@import\s+(?:url\(\s*)?[\"']?\s*({EXTERNAL})",
    re.IGNORECASE,
)
# JavaScript that loads from a URL: el.src = "...", import("..."), import ... from "...".
JS_ASSET = re.compile(
    rf"\.src\s*=\s*[\"'`]({EXTERNAL})"
    rf"|\bimport\s*\(\s*[\"'`]({EXTERNAL})"
    rf"|\bimport\b[^;\n]*?\bfrom\s*[\"'`]({EXTERNAL})"
    rf"|\bimportScripts\s*\(\s*[\"'`]({EXTERNAL})",
    re.IGNORECASE,
)
# A bare `src=`/`srcset=` attribute anywhere (also in JS-built HTML) naming another host.
ANY_SRC = re.compile(rf"\bsrc(?:set)?\s*=\s*[\"'`]?\s*({EXTERNAL})", re.IGNORECASE)

BINARY_SUFFIXES = {
    ".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico", ".woff", ".woff2", ".ttf", ".otf",
    ".eot", ".gz", ".br", ".zip", ".pdf", ".xlsx", ".mo",
}  # fmt: skip


def _is_non_asset_text(path: Path) -> bool:
    """LICENSE/README/notice files ship next to vendored assets and are never loaded."""
    name = path.name.upper()
    return name.startswith(("LICENSE", "LICENCE", "README", "NOTICE", "COPYING", "CHANGELOG")) or (
        path.suffix.lower() in {".md", ".txt", ".rst"}
    )


def _template_dirs() -> list[Path]:
    dirs = [Path(d) for engine in settings.TEMPLATES for d in engine.get("DIRS", [])]
    for app in settings.INSTALLED_APPS:
        app_dir = ROOT / app.split(".")[0]
        if (app_dir / "templates").is_dir():
            dirs.append(app_dir / "templates")
    return sorted({d.resolve() for d in dirs if d.is_dir()})


def _static_dirs() -> list[Path]:
    dirs = [Path(d) for d in settings.STATICFILES_DIRS]
    for app in settings.INSTALLED_APPS:
        app_dir = ROOT / app.split(".")[0]
        if (app_dir / "static").is_dir():
            dirs.append(app_dir / "static")
    return sorted({d.resolve() for d in dirs if d.is_dir()})


def _files(dirs: list[Path]) -> list[Path]:
    return sorted(
        path
        for directory in dirs
        for path in directory.rglob("*")
        if path.is_file()
        and path.suffix.lower() not in BINARY_SUFFIXES
        and not _is_non_asset_text(path)
    )


def external_assets(text: str, suffix: str) -> list[str]:
    """Every URL on another host that this text would make a browser load."""
    patterns = [CSS_ASSET] if suffix == ".css" else [HTML_ASSET, CSS_ASSET, ANY_SRC]
    if suffix in {".js", ".mjs"}:
        patterns = [HTML_ASSET, JS_ASSET, ANY_SRC]
    found = []
    for pattern in patterns:
        for match in pattern.finditer(text):
            found.append(next(group for group in match.groups() if group))
    return found


def test_the_scanner_finds_cdn_references() -> None:
    assert external_assets('<script src="https://cdn.example.com/htmx.js"></script>', ".html")
    assert external_assets("<link rel=stylesheet href=//cdn.example.com/pico.css>", ".html")
    assert external_assets("body{background:url('https://x.example/bg.png')}", ".css")
    assert external_assets('@import "https://fonts.example.com/css";', ".css")
    assert external_assets('s.src = "https://cdn.example.com/plotly.js";', ".js")
    assert external_assets('<img srcset="//img.example.com/a.png 2x">', ".html")
    # Hyperlinks are not assets; local and data: URLs are fine.
    assert not external_assets('<a href="https://www.zoho.com/crm/">Zoho</a>', ".html")
    assert not external_assets("<script src=\"{% static 'vendor/htmx/htmx.min.js' %}\">", ".html")
    assert not external_assets("a{background:url(data:image/svg+xml;base64,AAA)}", ".css")
    assert not external_assets('t.href="https://plotly.com/"', ".js")


def test_project_template_and_static_dirs_are_scanned() -> None:
    templates = _files(_template_dirs())
    static = _files(_static_dirs())
    assert ROOT / "templates" / "base.html" in templates
    assert any(path.suffix == ".css" for path in static)
    assert any(path.suffix == ".js" for path in static)


def test_no_template_loads_assets_from_another_host() -> None:
    offenders = {
        str(path.relative_to(ROOT)): urls
        for path in _files(_template_dirs())
        if (urls := external_assets(path.read_text(encoding="utf-8", errors="replace"), ".html"))
    }
    assert offenders == {}


def test_no_static_file_loads_assets_from_another_host() -> None:
    offenders = {
        str(path.relative_to(ROOT)): urls
        for path in _files(_static_dirs())
        if (
            urls := external_assets(
                path.read_text(encoding="utf-8", errors="replace"), path.suffix.lower()
            )
        )
    }
    assert offenders == {}


ASSET_URL = re.compile(
    r"<(?:script|img|iframe|source|link)\b[^>]*?\b(?:src|href)\s*=\s*[\"']([^\"']+)", re.I
)


def _assert_assets_are_local(html: str) -> list[str]:
    urls = ASSET_URL.findall(html)
    assert urls, "the page loads no assets at all?"
    external = [url for url in urls if not url.startswith("/") or url.startswith("//")]
    assert external == []
    assert external_assets(html, ".html") == []
    return urls


@pytest.mark.django_db
def test_swagger_ui_is_served_from_the_sidecar(client) -> None:
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    urls = _assert_assets_are_local(html)
    assert any("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in u for u in urls)
    # No host at all in the page: not in attributes, not in the inline Swagger UI settings.
    hosts = set(re.findall(r"(?:https?:)?//([A-Za-z0-9][\w.-]*\.[A-Za-z]{2,})", html))
    assert hosts == set()


@pytest.mark.django_db
def test_login_and_home_pages_load_only_local_assets(client) -> None:
    _assert_assets_are_local(client.get("/accounts/login/").content.decode())
    user = UserFactory(username="cdn-check", role="admin")
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    urls = _assert_assets_are_local(response.content.decode())
    assert any(url.endswith("vendor/htmx/htmx.min.js") for url in urls)

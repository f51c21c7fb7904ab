"""Serve plotly.js from the plotly package's own bundle (no CDN, no copy in the repository)."""

from __future__ import annotations

from pathlib import Path

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

PLOTLY_STATIC_PATH = "vendor/plotly/plotly.min.js"
_BUNDLE_DIR = Path(plotly.__file__).resolve().parent / "package_data"


class PlotlyFinder(BaseFinder):
    """Finds exactly one file: `vendor/plotly/plotly.min.js`."""

    storage = FileSystemStorage(location=str(_BUNDLE_DIR))

    def check(self, **kwargs):
        return []

    def find(self, path: str, find_all: bool = False, **kwargs):
        if path != PLOTLY_STATIC_PATH:
            return [] if find_all else None
        found = str(_BUNDLE_DIR / "plotly.min.js")
        return [found] if find_all else found

    def list(self, ignore_patterns):
        storage = FileSystemStorage(location=str(_BUNDLE_DIR))
        storage.prefix = "vendor/plotly"
        yield "plotly.min.js", storage

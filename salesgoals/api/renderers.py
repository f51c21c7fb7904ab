"""`?format=csv` and `?format=xlsx` for every list endpoint.

List endpoints that support export turn pagination off for these formats (see
`ExportMixin`), so an export contains every row in scope, not one page.
"""

from __future__ import annotations

from typing import Any

from rest_framework.renderers import BaseRenderer

from salesgoals.exports import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, to_csv, to_xlsx


def _rows(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, dict) and "results" in data:
        data = data["results"]
    if isinstance(data, dict):
        return [data]
    return list(data or [])


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = CSV_CONTENT_TYPE
            response["Content-Disposition"] = 'attachment; filename="export.csv"'
        return to_csv(_rows(data))


class XLSXRenderer(BaseRenderer):
    media_type = XLSX_CONTENT_TYPE
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Disposition"] = 'attachment; filename="export.xlsx"'
        return to_xlsx(_rows(data))

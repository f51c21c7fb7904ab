"""The OpenAPI schema's shared parts: documented errors and exports.

drf-spectacular documents only the success response of an operation. Every operation of this
API can also answer with DRF's errors, so they are documented once here rather than on each
view (an operation's own `extend_schema(responses=...)` entry for a code wins):
- 400 `ValidationError` (field → messages, `detail` for the whole request) everywhere: bodies,
  filters, steps the object's state does not allow, a NUL character in the query
  (`salesgoals.api.errors.RefuseNulCharactersMiddleware`);
- 403 `Error` where it needs a signed-in user (DRF answers 403 without credentials too, since
  session authentication comes first), 404 `Error` where a path or query parameter can name
  something that is not there (unknown id, `?format=`, page);
- 415 `Error` where it takes a body (a media type its parsers do not read);
- 429 `Error` everywhere (rate limits, `salesgoals.api.throttling`).

The CSV and XLSX renderers (`?format=csv|xlsx`) answer with a file, so those media types are
documented as binary strings instead of the JSON shape.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from salesgoals.exports import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE

DIGITS = "[0-9]+"
FILE_MEDIA_TYPES = {CSV_CONTENT_TYPE.split(";")[0], XLSX_CONTENT_TYPE, "text/csv"}
FILE_SCHEMA = {"type": "string", "format": "binary"}
# Money, shares and figures are decimal strings ("1234.56"; COERCE_DECIMAL_TO_STRING), never
# JSON numbers: `extend_schema_field(DECIMAL_STRING)` on fields that render them.
DECIMAL_STRING = {"type": "string", "format": "decimal"}
DECIMAL_STRING_OR_NULL = {**DECIMAL_STRING, "nullable": True}

ERROR = inline_serializer(
    "Error",
    {
        "detail": serializers.CharField(),
        "code": serializers.CharField(required=False),
        "retry_after": serializers.IntegerField(required=False, allow_null=True),
    },
)
VALIDATION_ERROR = {
    "type": "object",
    "additionalProperties": {},
    "description": "Field name → list of messages; `detail` or `non_field_errors` for the "
    "request as a whole.",
}
DESCRIPTIONS = {
    "400": "Invalid input.",
    "403": "Not signed in, or not allowed.",
    "404": "Not found (or an unknown `format` or page).",
    "415": "Unsupported media type.",
    "429": "Too many requests; `retry_after` seconds.",
}


class AutoSchema(openapi.AutoSchema):
    def _resolve_path_parameters(self, variables: list[str]) -> list[dict[str, Any]]:
        # The router's digits-only ids (`salesgoals.api.urls.Router`) are typed from the
        # model (integer, with its description) like DRF's catch-all pattern, not as strings.
        path_regex = self.path_regex
        self.path_regex = path_regex.replace(f">{DIGITS})", ">[^/.]+)")
        try:
            return super()._resolve_path_parameters(variables)
        finally:
            self.path_regex = path_regex

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation["responses"]
        for response in responses.values():
            _files_as_binary(response)
        parameters = operation.get("parameters", [])
        # Any request can be invalid: a body, a filter, a step the object's state does not
        # allow, django-filter's checks on a detail GET, a NUL character anywhere.
        errors: dict[str, Any] = {"400": VALIDATION_ERROR, "429": ERROR}
        if "requestBody" in operation:
            errors["415"] = ERROR
        if operation.get("security") and {} not in operation["security"]:
            errors["403"] = ERROR
        if parameters:
            errors["404"] = ERROR
        for code, body in errors.items():
            if code in responses:
                continue
            response = self._get_response_for_code(body, code)
            response["description"] = DESCRIPTIONS[code]
            _files_as_binary(response)
            responses[code] = response
        operation["responses"] = dict(sorted(responses.items()))
        return operation


def _files_as_binary(response: dict[str, Any]) -> None:
    for media_type, content in response.get("content", {}).items():
        if media_type.split(";")[0] in FILE_MEDIA_TYPES:
            content["schema"] = FILE_SCHEMA

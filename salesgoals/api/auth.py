"""POST auth/token/ {"username", "password"} → {"token"}.

Rate-limited per client IP (`TokenThrottle`) and covered by the log-in lock-out (django-axes,
username + IP): while locked out even the right password gets a 429, and the attempt does not
count as another failure.
"""

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from salesgoals.api.throttling import TokenThrottle
from salesgoals.security import lockout_message


class ObtainTokenView(ObtainAuthToken):
    renderer_classes = [JSONRenderer]
    throttle_classes = [TokenThrottle]

    @extend_schema(
        request=inline_serializer(
            "TokenRequest",
            {"username": serializers.CharField(), "password": serializers.CharField()},
        ),
        responses={
            200: inline_serializer("TokenResponse", {"token": serializers.CharField()}),
            400: OpenApiResponse(description="Missing fields or wrong credentials."),
            429: OpenApiResponse(description="Locked out after failed attempts, or throttled."),
        },
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        username = request.data.get("username") if hasattr(request.data, "get") else None
        credentials = {"username": username}
        if (
            isinstance(username, str)
            and username
            and not AxesProxyHandler.is_allowed(request._request, credentials)
        ):
            cool_off = get_cool_off(request._request)
            return Response(
                {
                    "detail": lockout_message(cool_off),
                    "code": "locked_out",
                    "retry_after": int(cool_off.total_seconds()) if cool_off else None,
                },
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        return super().post(request, *args, **kwargs)

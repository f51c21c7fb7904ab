"""Secrets at rest: Fernet with `FIELD_ENCRYPTION_KEY` (+ `FIELD_ENCRYPTION_KEYS` to rotate).

Encryption uses the first key; decryption tries every key, so a new key can be put in front
of the old one and `crm_rotate_secrets` re-encrypts the rows. In the embedded (DEBUG) mode
without a configured key, a key is derived from `SECRET_KEY` so the product works out of the
box; production refuses to store secrets without a real key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SecretsUnreadable(Exception):
    """The stored secrets cannot be decrypted with any configured key."""


def _keys() -> list[bytes]:
    keys = [k.strip() for k in getattr(settings, "FIELD_ENCRYPTION_KEYS", []) if k.strip()]
    single = (getattr(settings, "FIELD_ENCRYPTION_KEY", "") or "").strip()
    if single and single not in keys:
        keys.append(single)
    if not keys:
        if not settings.DEBUG:
            raise ImproperlyConfigured("Set FIELD_ENCRYPTION_KEY to store CRM credentials.")
        digest = hashlib.sha256(("crm-secrets:" + settings.SECRET_KEY).encode()).digest()
        return [base64.urlsafe_b64encode(digest)]
    return [k.encode() for k in keys]


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(k) for k in _keys()])


def encrypt(values: dict[str, str]) -> str:
    if not values:
        return ""
    return _fernet().encrypt(json.dumps(values, sort_keys=True).encode()).decode()


def decrypt(token: str) -> dict[str, str]:
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as error:
        raise SecretsUnreadable("The stored CRM credentials cannot be decrypted.") from error


def rotate(token: str) -> str:
    """The same secrets encrypted with the current first key."""
    if not token:
        return ""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken as error:
        raise SecretsUnreadable("The stored CRM credentials cannot be decrypted.") from error


def encrypt_text(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt_text(token: str) -> str | None:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        return None


def fingerprint(token: str) -> str:
    """Which secrets are set and a short keyed hash of each, for the audit history.

    "client_secret:1a2b3c4d, refresh_token:…": a changed secret shows as a changed hash; the
    hash (HMAC-SHA256 with SECRET_KEY, 8 hex digits) reveals nothing of the value.
    """
    if not token:
        return ""
    try:
        values = decrypt(token)
    except SecretsUnreadable:
        return "unreadable"
    key = settings.SECRET_KEY.encode()
    return ", ".join(
        f"{name}:{hmac.new(key, str(value).encode(), hashlib.sha256).hexdigest()[:8]}"
        for name, value in sorted(values.items())
        if value
    )

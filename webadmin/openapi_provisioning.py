"""Every provisioning part of the OpenAPI document, in one place for
``webadmin.openapi``: phones, their keys, overrides and credentials."""

from __future__ import annotations

from webadmin import (
    openapi_phone_firmware,
    openapi_phone_keys,
    openapi_phone_templates,
    openapi_phones,
    openapi_seen_phones,
)

_PARTS = (
    openapi_phones,
    openapi_phone_keys,
    openapi_phone_templates,
    openapi_phone_firmware,
    openapi_seen_phones,
)
SCHEMAS: dict = {name: s for part in _PARTS for name, s in part.SCHEMAS.items()}
PATHS: dict = {path: p for part in _PARTS for path, p in part.PATHS.items()}

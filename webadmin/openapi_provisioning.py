"""Every provisioning part of the OpenAPI document, in one place for
``webadmin.openapi``: phones, their keys, overrides and credentials."""

from __future__ import annotations

from webadmin import openapi_phone_keys, openapi_phones

SCHEMAS: dict = openapi_phones.SCHEMAS | openapi_phone_keys.SCHEMAS
PATHS: dict = openapi_phones.PATHS | openapi_phone_keys.PATHS

"""Pieces every part of the OpenAPI document describes responses with."""

from __future__ import annotations

PROBLEM_MEDIA_TYPE = "application/problem+json"


def problem_response(description: str) -> dict:
    """A response carrying an RFC 9457 problem (components' Problem schema)."""
    return {
        "description": description,
        "content": {
            PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


def json_response(schema: dict, description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }

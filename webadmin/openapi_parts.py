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


# Every route behind a session or token can answer these two.
ACCESS_ERRORS = {
    "401": problem_response("no valid session or bearer token"),
    "403": problem_response("the role may not do this, or the CSRF token is missing"),
}

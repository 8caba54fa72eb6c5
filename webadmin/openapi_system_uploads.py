"""OpenAPI paths of a backup's restore and a firmware bundle's install,
each an upload that is checked, then a confirmation
(``webadmin.api_system``), merged into the document by ``webadmin.openapi``.
"""

from __future__ import annotations

from webadmin.openapi_parts import ACCESS_ERRORS, json_response, problem_response

_BINARY = {"type": "string", "format": "binary"}
_OBJECT = {"type": "object"}


def _upload(field: str, extra: dict | None = None) -> dict:
    properties = {field: _BINARY} | (extra or {})
    return {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [field],
                    "properties": properties,
                }
            }
        },
    }


_RESTORE_STATE = {
    "type": "object",
    "required": ["staged", "restoring", "refused"],
    "properties": {
        "staged": {
            "type": ["object", "null"],
            "description": "the uploaded backup waiting for a confirmation",
        },
        "restoring": {
            "type": "boolean",
            "description": "a restore is confirmed and the agent has not yet"
            " started again",
        },
        "refused": {
            "type": ["object", "null"],
            "description": "why the agent refused the last confirmed restore as"
            " it started again (nothing was changed); null once a backup is"
            " uploaded or a restore confirmed again",
            "required": ["reason", "requested_by", "refused_at"],
            "properties": {
                "reason": {"type": "string"},
                "requested_by": {"type": ["string", "null"]},
                "refused_at": {"type": "string", "format": "date-time"},
            },
        },
    },
}


PATHS: dict = {
    "/backups/restore": {
        "get": {
            "operationId": "restoreState",
            "summary": "The uploaded backup, and why a confirmed restore was refused",
            "description": "Super administrators only.",
            "responses": {
                "200": json_response(_RESTORE_STATE, "the restore's state"),
                **ACCESS_ERRORS,
            },
        },
        "post": {
            "operationId": "stageRestore",
            "summary": "Upload a backup, check it whole and keep it for a restore",
            "description": "Nothing is replaced until the restore is confirmed."
            " Super administrators only.",
            "requestBody": _upload(
                "backup",
                {"passphrase": {"type": "string", "description": "a sealed one's"}},
            ),
            "responses": {
                "200": json_response(_OBJECT, "what the backup holds"),
                "413": problem_response("the file is larger than a backup may be"),
                "422": problem_response(
                    "no file, a wrong passphrase, or a damaged backup or one from"
                    " a newer release; field names it"
                ),
                **ACCESS_ERRORS,
            },
        },
        "delete": {
            "operationId": "discardRestore",
            "summary": "Discard the uploaded backup",
            "responses": {"204": {"description": "discarded"}, **ACCESS_ERRORS},
        },
    },
    "/backups/restore/confirm": {
        "post": {
            "operationId": "confirmRestore",
            "summary": "Replace everything with the uploaded backup",
            "description": "The agent stops its services (this API among them),"
            " restores and starts again.",
            "responses": {
                "202": json_response(_OBJECT, "the restore is under way"),
                "422": problem_response("no backup was uploaded"),
                **ACCESS_ERRORS,
            },
        }
    },
    "/firmware/bundles": {
        "post": {
            "operationId": "verifyFirmwareBundle",
            "summary": "Upload a firmware bundle and verify it whole",
            "requestBody": _upload("bundle"),
            "responses": {
                "200": json_response(_OBJECT, "the bundle's manifest"),
                "400": problem_response("this machine has no firmware slots"),
                "413": problem_response("the file is larger than a slot"),
                "422": problem_response(
                    "no file, or a bundle refused: bad signature, wrong board,"
                    " a downgrade, damaged; field names it"
                ),
                **ACCESS_ERRORS,
            },
        }
    },
    "/firmware/bundles/install": {
        "post": {
            "operationId": "installFirmwareBundle",
            "summary": "Install the verified bundle and restart into it once",
            "responses": {
                "202": json_response(_OBJECT, "installed; the box restarts"),
                "400": problem_response("this machine has no firmware slots"),
                "422": problem_response("no bundle was uploaded, or it was refused"),
                **ACCESS_ERRORS,
            },
        }
    },
}

"""The REST API of the data directory's storage: ``/api/v1/storage``.

The same service as ``edgepbx storage`` and the Storage page
(``agent.storage.service``): the usage by kind, each kind's retention and
quota, and a clean-up run now.
"""

from __future__ import annotations

import bottle

from agent.appliance import Appliance
from agent.storage.service import StorageService
from webadmin import access
from webadmin.api import PREFIX, _json_response, api_route, json_object

#: null turns a limit off; a field left out keeps its value.
RETENTION_FIELDS = {"max_days": (int, type(None)), "max_mb": (int, type(None))}
CLEAN_FIELDS = {"kind": str}


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    def storage() -> StorageService:
        return StorageService(appliance.settings, access.current().principal)

    @app.get(f"{PREFIX}/storage")
    @api_route
    def get_storage_usage() -> str:
        return _json_response(storage().usage().to_dict())

    @app.get(f"{PREFIX}/storage/retention")
    @api_route
    def list_storage_retention() -> str:
        service = storage()
        counts = service.counts()
        return _json_response(
            [r.to_dict() | {"cleanups": counts[r.kind]} for r in service.policy()]
        )

    @app.get(f"{PREFIX}/storage/retention/<kind>")
    @api_route
    def get_storage_retention(kind: str) -> str:
        return _json_response(storage().retention(kind).to_dict())

    @app.put(f"{PREFIX}/storage/retention/<kind>")
    @api_route
    def put_storage_retention(kind: str) -> str:
        body = json_object(RETENTION_FIELDS)
        return _json_response(storage().set_retention(kind, **body).to_dict())

    @app.post(f"{PREFIX}/storage/clean")
    @api_route
    def clean_storage() -> str:
        body = json_object(CLEAN_FIELDS) if bottle.request.content_length else {}
        done = storage().clean(body.get("kind"))
        return _json_response([c.to_dict() for c in done])

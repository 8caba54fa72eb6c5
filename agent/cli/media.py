"""``edgepbx media``: one worker of the media service (agent/media)."""

from __future__ import annotations

import argparse

from agent.appliance import Appliance
from agent.cli.parsers import whole_number
from agent.media import engine


def media_worker(app: Appliance, args: argparse.Namespace) -> int:
    engine.run_worker(app.settings, args.port)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    help = "run one media worker (voicemail, IVR) on a loopback SIP port"
    p = sub.add_parser("media", help=help, description=help)
    p.add_argument(
        "--port", type=whole_number, required=True, help="its loopback SIP port"
    )
    p.set_defaults(handler=media_worker)

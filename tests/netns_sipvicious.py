"""SIPVicious from inside a namespace: ``python -m tests.netns_sipvicious``.

    TOOL [--disguise USER_AGENT] ARGS...

TOOL is svmap, svwar or svcrack; ARGS go to it unchanged. Its output is
printed as the tool writes it. With ``--disguise`` every request carries
that User-Agent instead of SIPVicious's own "friendly-scanner", as an
attacker who read the defences would send: then the PBX's answers, not its
scanner filter, are what the tool learns from.
"""

from __future__ import annotations

import functools
import importlib
import sys

TOOLS = ("svmap", "svwar", "svcrack")


def main(argv: list[str]) -> int:
    tool, *args = argv
    if tool not in TOOLS:
        raise SystemExit(f"unknown tool {tool}; one of {', '.join(TOOLS)}")
    module = importlib.import_module(f"sipvicious.{tool}")
    if args[:1] == ["--disguise"]:
        agent, args = args[1], args[2:]
        module.makeRequest = functools.partial(module.makeRequest, useragent=agent)
    sys.argv = [f"sipvicious_{tool}", *args]
    return module.main() or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

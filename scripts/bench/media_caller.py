"""One process of callers for the media_legs benchmark (not run on its own).

Registers nothing: it calls through the PBX as one extension (digest auth),
holds its calls (at most CALLS_PER_WORKER of agent/media/pool.py, the
per-process limit pjsua2 is compiled with) while they receive
the menu's audio, and prints one JSON line with each call's RTP receive
figures over the measured window, read from pjmedia's stream statistics.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import pjsua2 as pj

EVENT_POLL_MS = 10


class BenchCall(pj.Call):
    def __init__(self, account: pj.Account) -> None:
        super().__init__(account)
        self.confirmed = False
        self.ended = False
        self.status = 0

    def onCallState(self, prm: pj.OnCallStateParam) -> None:
        info = self.getInfo()
        self.confirmed |= info.state == pj.PJSIP_INV_STATE_CONFIRMED
        self.ended = info.state == pj.PJSIP_INV_STATE_DISCONNECTED
        if self.ended:
            self.status = info.lastStatusCode


def receive_figures(call: BenchCall) -> dict:
    stat = call.getStreamStat(0)
    rx = stat.rtcp.rxStat
    return {
        "pkt": rx.pkt,
        "loss": rx.loss,
        "jitter_mean_us": rx.jitterUsec.mean,
        "jitter_max_us": rx.jitterUsec.max,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("--calls", type=int, default=4)
    parser.add_argument("--settle-s", type=float, default=3.0)
    parser.add_argument("--measure-s", type=float, default=10.0)
    args = parser.parse_args()
    # Standard output carries the JSON lines only; pjlib prints to stderr.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())

    ep = pj.Endpoint()
    ep.libCreate()
    cfg = pj.EpConfig()
    cfg.uaConfig.threadCnt = 0
    cfg.uaConfig.mainThreadOnly = True
    # pjsua caps this at its compile-time PJSUA_MAX_CALLS (scripts/build-pjsua2).
    cfg.uaConfig.maxCalls = args.calls
    cfg.logConfig.level = 0
    cfg.logConfig.consoleLevel = 0
    cfg.medConfig.noVad = True
    ep.libInit(cfg)
    ep.audDevManager().setNullDev()
    transport = pj.TransportConfig()
    transport.boundAddress = "127.0.0.1"
    ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, transport)
    ep.libStart()

    acc_cfg = pj.AccountConfig()
    acc_cfg.idUri = f"sip:{args.user}@127.0.0.1"
    acc_cfg.sipConfig.authCreds.append(
        pj.AuthCredInfo("digest", "*", args.user, 0, args.password)
    )
    acc_cfg.mediaConfig.transportConfig.boundAddress = "127.0.0.1"
    # Random RTP ports: dozens of callers and workers share the machine.
    acc_cfg.mediaConfig.transportConfig.port = 0
    acc_cfg.natConfig.sdpNatRewriteUse = 0
    acc_cfg.natConfig.contactRewriteUse = 0
    account = pj.Account()
    account.create(acc_cfg)

    def pump(seconds: float, until=lambda: False) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not until():
            ep.libHandleEvents(EVENT_POLL_MS)

    calls = []
    for _ in range(args.calls):
        call = BenchCall(account)
        call.makeCall(f"sip:{args.target}@127.0.0.1:{args.port}", pj.CallOpParam(True))
        calls.append(call)
        pump(0.05)
    pump(10, lambda: all(c.confirmed or c.ended for c in calls))
    live = [c for c in calls if c.confirmed and not c.ended]
    failed = [c.status for c in calls if c not in live]
    print(json.dumps({"ready": len(live), "failed": failed}), file=out, flush=True)

    pump(args.settle_s)
    before = [receive_figures(c) for c in live]
    pump(args.measure_s)
    figures = []
    for call, start in zip(live, before, strict=True):
        if call.ended:
            figures.append({"dropped": True})
            continue
        end = receive_figures(call)
        figures.append(
            {
                "pkt": end["pkt"] - start["pkt"],
                "loss": end["loss"] - start["loss"],
                "jitter_mean_us": end["jitter_mean_us"],
                "jitter_max_us": end["jitter_max_us"],
            }
        )
    print(json.dumps({"calls": figures}), file=out, flush=True)

    for call in live:
        if not call.ended:
            call.hangup(pj.CallOpParam(True))
    pump(2, lambda: all(c.ended for c in calls))
    calls.clear()
    live.clear()
    ep.libDestroy()
    out.close()
    os._exit(0)


if __name__ == "__main__":
    main()

"""Call park: a call put on hold in a numbered slot, taken back by anyone.

An extension parks the call it has by a blind transfer (REFER, what a desk
phone's Park or BLF key sends) to a slot number (7001 to 7008 unless changed),
or to the park feature code, which takes the first free slot. The parked
caller hears music on hold in a media worker; whoever dials the slot number
is bridged with them. After the park timeout the call is transferred back to
the extension that parked it, and rings there as any call would (forwards
and voicemail included). A phone watching a slot's number (BLF) sees its
lamp lit while a call is parked there.

The slot is announced to the parked caller: a blind transfer leaves the
parker's phone out of the call before any media worker answers, so the
parker sees the slot on its lamps or in the live monitor.

Known shortcoming: a call from a trunk cannot be parked yet. The phone's
transfer is relayed to the carrier, which would have to call the slot
itself; parking it needs the PBX to take the carrier's leg over (a
back-to-back user agent), which the proxy routing does not do.

agent/sip/park_slots.py holds the slot range and timeout, state.py the live calls
(what the workers hold), flow.py the calls in the media workers.
"""

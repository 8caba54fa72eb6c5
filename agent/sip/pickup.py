"""Call pickup: answer, from one's own phone, a call ringing at another
extension.

- Group pickup, ``*8``: a call ringing at any extension of the picker's
  pickup group (set on the extension; empty: in no group).
- Directed pickup, ``**`` and the extension number: a call ringing at that
  extension. An extension in a pickup group is picked up only by its
  group's members; one in no group by any extension. A busy lamp key does
  the same by dialling the directed pickup code, or, on phones that do so,
  by an INVITE with a Replaces header (RFC 3891) naming the early dialog
  the lamp's NOTIFY reported: that is taken as a directed pickup of the
  extension the call rings at, answered the same way.

How: when a call starts ringing at an extension, the routing notes the
extension's ringing INVITE transaction (tm's hash index and label) in the
``ringing`` htable. A pickup adds a branch to that very transaction, to the
picker's phones, through the ``tsilo`` module's ``ts_append_to`` (tm's
t_append_branches), with headers that make the phone answer at once
(agent/sip/auto_answer.py); the pickup INVITE itself is ended with 487.
When the picker's phone answers, tm cancels the branches still ringing, as
for any forked call, and the caller talks to the picker: one call, one
call record (its callee becomes the picker), and the caller's SDP reaches
the picker unchanged.

Known shortcoming: the busy lamp of the extension that rang is not told
that its call was picked up: pua_dialoginfo publishes the callee's lamp
from the address noted when the call started, and the picker's branch
ringing makes it report "early" again, so that lamp blinks on until the
picked-up call ends (then it goes off, as it should). The picker's own lamp
does not light for the call. Only the latest call ringing at an extension
can be picked up (one htable entry per extension).
"""

from __future__ import annotations

import re
import sqlite3

try:
    import KSR  # provided by Kamailio's app_python3 at run time
except ModuleNotFoundError:  # the agent imports the codes from here
    KSR = None

try:  # inside Kamailio this directory is on sys.path; in the agent, agent.sip
    from auto_answer import auto_answer_headers
    from feature_codes import match
except ModuleNotFoundError:
    from agent.sip.auto_answer import auto_answer_headers
    from agent.sip.feature_codes import match

#: The features of the feature-code table (``*8`` and ``**`` unless changed).
GROUP_PICKUP = "pickup_group"
DIRECTED_PICKUP = "pickup_directed"

#: htables (kamailio.cfg.tmpl): extension -> "index:label:Call-ID" of the
#: INVITE ringing there; Call-ID of a call being picked up -> the headers for the
#: picker's branch, and -> the picker ("<Call-ID>/by").
RINGING_TABLE = "ringing"
PICKUP_TABLE = "pickups"
#: Branch flag of the branch that goes to the picker.
FLAG_PICKUP_BRANCH = 15
#: The location table the picker's phones are found in.
LOCATION_TABLE = "location"

#: Replies to the pickup INVITE (RFC 3261 section 21): done (the call comes
#: to the picker as a new INVITE), nothing ringing, not allowed.
PICKED_UP = (487, "Picked Up")
NOTHING_RINGING = (480, "Nothing To Pick Up")
NO_GROUP = (403, "Not In A Pickup Group")
OTHER_GROUP = (403, "Not In That Pickup Group")

CALL_PICKED_UP = "picked_up"
#: Key prefix, in the ringing htable, of Call-ID -> the extension it rings.
CALL_KEY = "call:"
#: RFC 3261 section 25.1 allows more in a Call-ID; phones use these.
SAFE_CALL_ID = re.compile(r"[A-Za-z0-9.!%*_+~@:-]{1,128}")


class CallPickup:
    """The routing's part of call pickup: a mixin of Routing."""

    def pickable(self) -> None:
        """Before relaying a call to an extension: a branch a pickup adds
        later goes through ksr_branch_route_pickup (tm keeps the branch
        route of the first relay for the branches appended afterwards)."""
        KSR.tm.t_on_branch("ksr_branch_route_pickup")

    def note_ringing(self, callee: str) -> None:
        """After relaying a call to an extension: remember its transaction."""
        index = KSR.pv.get("$T(id_index)")
        label = KSR.pv.get("$T(id_label)")
        if index is None or label is None:
            return
        call_id = str(KSR.pv.get("$ci"))
        KSR.htable.sht_sets(
            RINGING_TABLE, callee, str(index) + ":" + str(label) + ":" + call_id
        )
        KSR.htable.sht_sets(RINGING_TABLE, CALL_KEY + call_id, callee)

    def ksr_branch_route_pickup(self, msg) -> int:
        """A branch of a ringing call: the picker's gets the auto-answer
        headers, and a flag that tells its answer apart."""
        headers = KSR.pv.get("$sht(" + PICKUP_TABLE + "=>$ci)")
        if headers is None:
            return 1
        KSR.setbflag(FLAG_PICKUP_BRANCH)
        for line in str(headers).split("\n"):
            if line:
                KSR.hdr.append(line + "\r\n")
        return 1

    def picked_up_answer(self) -> None:
        """In the reply route: an answered call rings nowhere any more; when
        the picker answered, the record's callee is the picker from now on."""
        if int(KSR.pv.get("$rs")) != 200 or str(KSR.pv.get("$rm")) != "INVITE":
            return
        self.forget_ringing(str(KSR.pv.get("$ci")))
        if not KSR.isbflagset(FLAG_PICKUP_BRANCH):
            return
        picker = KSR.pv.get("$sht(" + PICKUP_TABLE + "=>$ci/by)")
        if picker is not None:
            self.calls.send(CALL_PICKED_UP, str(KSR.pv.get("$ci")), dst=str(picker))

    @staticmethod
    def forget_ringing(call_id: str) -> None:
        """The call was answered: nothing to pick up, and a Replaces naming
        it (an attended transfer's) goes on to the phone that answered."""
        if not SAFE_CALL_ID.fullmatch(call_id):
            return
        key = "$sht(" + RINGING_TABLE + "=>" + CALL_KEY + call_id + ")"
        callee = KSR.pv.get(key)
        if callee is None:
            return
        KSR.htable.sht_rm(RINGING_TABLE, CALL_KEY + call_id)
        noted = KSR.pv.get("$sht(" + RINGING_TABLE + "=>" + str(callee) + ")")
        if noted is not None and str(noted).endswith(":" + call_id):
            KSR.htable.sht_rm(RINGING_TABLE, str(callee))

    def pickup(self, method: str) -> bool:
        """The group pickup code, or the directed one and an extension, from
        an extension (or a Replaces naming a ringing call): pick up a call."""
        user = str(KSR.pv.get("$rU") or "")
        if method != "INVITE":
            return False
        picker = self.calling_extension()
        if picker is None:
            return False
        replaced = self.replaced_ringing_call()
        if replaced:
            feature, target = DIRECTED_PICKUP, replaced
        else:
            found = match(self.dialplan.current().feature_codes, user)
            feature, target = found if found is not None else ("", "")
        if feature == GROUP_PICKUP:
            group = self.pickup_group_of(picker)
            if not group:
                KSR.sl.sl_send_reply(*NO_GROUP)
                return True
            targets = self.pickup_group_members(group, picker)
        elif feature == DIRECTED_PICKUP:
            group = self.pickup_group_of(target)
            if group and group != self.pickup_group_of(picker):
                KSR.sl.sl_send_reply(*OTHER_GROUP)
                return True
            targets = [target]
        else:
            return False

        for target in targets:
            if self.append_picker(target, picker):
                KSR.notice(
                    "pickup: " + picker + " picks up the call to " + target + "\n"
                )
                KSR.sl.sl_send_reply(*PICKED_UP)
                return True
        if replaced:
            # The call was answered meanwhile (its answer can overtake the
            # note that it rings): an attended transfer's Replaces, which
            # goes on to the phone that answered.
            return False
        KSR.sl.sl_send_reply(*NOTHING_RINGING)
        return True

    @staticmethod
    def replaced_ringing_call() -> str | None:
        """The extension whose ringing call a Replaces header names, as a
        phone sends from a BLF key of a ringing extension (RFC 3891: the
        early dialog the dialog event NOTIFY named); None for no Replaces,
        or one of a call that rings nowhere (an attended transfer's, which
        goes on to the phone it names)."""
        replaces = KSR.pv.get("$hdr(Replaces)")
        if replaces is None:
            return None
        call_id = str(replaces).split(";", 1)[0].strip()
        # The Call-ID becomes part of a pseudo-variable's name: only the
        # characters phones use in theirs, never one that opens another.
        if not SAFE_CALL_ID.fullmatch(call_id):
            return None
        target = KSR.pv.get("$sht(" + RINGING_TABLE + "=>" + CALL_KEY + call_id + ")")
        if target is None:
            return None
        # Kept: should the call no longer ring, the INVITE goes on with it.
        return str(target)

    def append_picker(self, target: str, picker: str) -> bool:
        """Add the picker's phones to the call ringing at target; whether
        one was ringing there."""
        noted = KSR.pv.get("$sht(" + RINGING_TABLE + "=>" + target + ")")
        if noted is None:
            return False
        index, label, call_id = [*str(noted).split(":", 2), "", ""][:3]
        if not (index.isdigit() and label.isdigit() and call_id):
            return False
        user_agent = str(KSR.pv.get("$ua") or "")
        KSR.htable.sht_sets(
            PICKUP_TABLE, call_id, "\n".join(auto_answer_headers(user_agent))
        )
        KSR.htable.sht_sets(PICKUP_TABLE, call_id + "/by", picker)
        uri = "sip:" + picker + "@" + self.settings.realm
        added = KSR.tsilo.ts_append_to_uri(int(index), int(label), LOCATION_TABLE, uri)
        if added < 0:
            KSR.htable.sht_rm(PICKUP_TABLE, call_id)
            KSR.htable.sht_rm(PICKUP_TABLE, call_id + "/by")
            KSR.htable.sht_rm(RINGING_TABLE, target)
            return False
        return True

    def pickup_group_of(self, number: str) -> str:
        rows = self.config_rows(
            "SELECT pickup_group FROM extension WHERE number = ? AND enabled = 1",
            (number,),
        )
        return str(rows[0][0]) if rows else ""

    def pickup_group_members(self, group: str, picker: str) -> list[str]:
        rows = self.config_rows(
            "SELECT number FROM extension WHERE pickup_group = ? AND number != ?"
            " AND enabled = 1 ORDER BY number",
            (group, picker),
        )
        return [str(row[0]) for row in rows]

    def config_rows(self, sql: str, args: tuple) -> list[tuple]:
        """Rows of a read-only query of the configuration database."""
        if not self.settings.config_db:
            return []
        try:
            if self._config is None:
                self._config = sqlite3.connect(
                    "file:" + self.settings.config_db + "?mode=ro", uri=True
                )
            return self._config.execute(sql, args).fetchall()
        except sqlite3.Error:
            self._config = None
            return []

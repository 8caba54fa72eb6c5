"""What an INVITE's final reply says about the callee (RFC 3261 section 21),
read the same way by the routing (voicemail, forwards) and the call records.

Standard library only: the KEMI routing imports it inside Kamailio.
"""

# 486 Busy Here, 600 Busy Everywhere and 603 Decline: a callee who would not
# take the call. 603 is what many desk phones' Reject key sends: the person is
# there and will not take it, which is busy to the caller's eyes.
BUSY_CODES = frozenset({486, 600, 603})
# 408 Request Timeout and 480 Temporarily Unavailable: a callee who did not
# answer (the phones rang out, or none was there to ring).
NO_ANSWER_CODES = frozenset({408, 480})

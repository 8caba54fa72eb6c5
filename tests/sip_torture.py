"""SIP torture messages, after the cases RFC 4475 describes.

Each message is written here from the RFC's description of what the case
tests (section 3.1.1: valid messages that stress a parser; section 3.1.2:
invalid messages; section 3.3: application-layer semantics), not copied
from its text, and aimed at this PBX: requests go to its own address, so
the answer a proxy-registrar owes is known.

``expected`` lists the final statuses that are correct for the PBX, with
None where dropping the datagram without a reply is also right (RFC 3261
section 18.3: a UDP message whose Content-Length exceeds the datagram, or
that cannot be parsed far enough to answer, may be discarded).

Placeholders: ${host}, ${port} (the PBX), ${me}, ${myport} (the sender),
${branch}, ${tag}, ${callid}.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from string import Template

# An unauthenticated call or out-of-dialog request to an extension is
# challenged (RFC 3261 section 22.3); a request to the PBX itself that it
# serves (OPTIONS) is answered 200; one that cannot be parsed gets 400.
CHALLENGED = (407,)
ANSWERED = (200,)
BAD_REQUEST = (400, None)


@dataclass(frozen=True)
class Torture:
    name: str  # the RFC's short name for the case
    section: str
    description: str
    template: str
    expected: tuple[int | None, ...]

    def render(self, host: str, port: int, me: str, myport: int) -> bytes:
        text = Template(self.template).substitute(
            host=host,
            port=port,
            me=me,
            myport=myport,
            branch="z9hG4bK" + secrets.token_hex(8),
            tag=secrets.token_hex(4),
            callid=secrets.token_hex(10),
        )
        data = text.replace("\n", "\r\n").encode()
        if BODY_LENGTH in data:
            body = data.split(b"\r\n\r\n", 1)[1]
            data = data.replace(BODY_LENGTH, str(len(body)).encode())
        return data


# Stands for the body's length, counted once the placeholders are filled.
BODY_LENGTH = b"@BODY_LENGTH@"


def _with_body(head: str, body: str) -> str:
    """A head (without Content-Length) and a body, with its length."""
    return f"{head}Content-Length: {BODY_LENGTH.decode()}\n\n{body}"


SDP = """v=0
o=alice 2890844526 2890844526 IN IP4 ${me}
s=-
c=IN IP4 ${me}
t=0 0
m=audio 49170 RTP/AVP 0
a=rtpmap:0 PCMU/8000
"""

VIA = "Via: SIP/2.0/UDP ${me}:${myport};branch=${branch};rport\n"

MESSAGES: list[Torture] = [
    # -- 3.1.1: valid, if unusual, requests -----------------------------------
    Torture(
        "wsinv",
        "3.1.1.1",
        "header names in odd case, values folded over several lines, "
        "whitespace around colons and separators, quoted display names "
        "with escaped quotes, an unknown header with unusual characters",
        _with_body(
            "INVITE sip:101@${host}:${port} SIP/2.0\n"
            "vIa  :   SIP/2.0/UDP ${me}:${myport}\n"
            "   ;branch=${branch} ;  rport\n"
            "MAX-forwards  :  70\n"
            'TO :\n "Quoted \\"One\\" Oh One"   <sip:101@${host}>\n'
            'from   : "Caller \\\\ Name" <sip:102@${host}>\n'
            "  ;tag=${tag}\n"
            "call-ID  :  ${callid}\n"
            "cseq: 0009 INVITE\n"
            "X-Unknown-Header: !#$$%&'*+-.^_`{|}~ ok\n"
            "Contact: <sip:102@${me}:${myport}>\n"
            "Content-Type: application/sdp\n",
            SDP,
        ),
        CHALLENGED,
    ),
    Torture(
        "wsinv-cseq",
        "3.1.1.1",
        "as wsinv, and the CSeq's method folded onto a line of its own. "
        "Known shortcoming: Kamailio 5.6's parser does not unfold CSeq and "
        "drops the request, although it is valid",
        _with_body(
            "INVITE sip:101@${host}:${port} SIP/2.0\n"
            "vIa  :   SIP/2.0/UDP ${me}:${myport}\n"
            "   ;branch=${branch} ;  rport\n"
            "MAX-forwards  :  70\n"
            'TO :\n "Quoted \\"One\\" Oh One"   <sip:101@${host}>\n'
            'from   : "Caller \\\\ Name" <sip:102@${host}>\n'
            "  ;tag=${tag}\n"
            "call-ID  :  ${callid}\n"
            "cseq: 0009\n  INVITE\n"
            "X-Unknown-Header: !#$$%&'*+-.^_`{|}~ ok\n"
            "Contact: <sip:102@${me}:${myport}>\n"
            "Content-Type: application/sdp\n",
            SDP,
        ),
        (407, None),
    ),
    Torture(
        "intmeth",
        "3.1.1.3",
        "an unknown method made of every character a token allows",
        "!interesting-Method0123456789_*+`.%indeed'~ sip:${host}:${port} SIP/2.0\n"
        + VIA
        + "Max-Forwards: 70\n"
        "To: <sip:${host}>\n"
        "From: <sip:102@${host}>;tag=${tag}\n"
        "Call-ID: ${callid}\n"
        "CSeq: 139122385 !interesting-Method0123456789_*+`.%indeed'~\n"
        "Content-Length: 0\n\n",
        (405, 407, 501),
    ),
    Torture(
        "esc01",
        "3.1.1.4",
        "escaped characters in the user part of the Request-URI and From",
        "OPTIONS sip:sips%3Auser%40example.com@${host}:${port} SIP/2.0\n"
        + VIA
        + "Max-Forwards: 70\n"
        "To: <sip:sips%3Auser%40example.com@${host}>\n"
        "From: <sip:I%20have%20spaces@${host}>;tag=${tag}\n"
        "Call-ID: ${callid}\n"
        "CSeq: 1 OPTIONS\n"
        "Content-Length: 0\n\n",
        CHALLENGED,
    ),
    Torture(
        "escnull",
        "3.1.1.5",
        "escaped NUL octets in user parts",
        "REGISTER sip:${host}:${port} SIP/2.0\n" + VIA + "Max-Forwards: 70\n"
        "To: <sip:null-%00-null@${host}>\n"
        "From: <sip:null-%00-null@${host}>;tag=${tag}\n"
        "Call-ID: ${callid}\n"
        "CSeq: 1 REGISTER\n"
        "Contact: <sip:%00@${me}:${myport}>\n"
        "Content-Length: 0\n\n",
        (401, 400, None),
    ),
    Torture(
        "lwsdisp",
        "3.1.1.7",
        "no whitespace between a display name and its <",
        "OPTIONS sip:${host}:${port} SIP/2.0\n" + VIA + "Max-Forwards: 70\n"
        "To: <sip:${host}>\n"
        "From: caller<sip:102@${host}>;tag=${tag}\n"
        "Call-ID: ${callid}\n"
        "CSeq: 1 OPTIONS\n"
        "Content-Length: 0\n\n",
        ANSWERED,
    ),
    Torture(
        "longreq",
        "3.1.1.8",
        "very long header values, many Via headers, a long display name",
        "OPTIONS sip:${host}:${port} SIP/2.0\n"
        + VIA
        + "".join(
            f"Via: SIP/2.0/UDP 192.0.2.{i}:5060;branch=z9hG4bK{'a' * 40}{i}\n"
            for i in range(1, 31)
        )
        + "Max-Forwards: 70\n"
        "To: <sip:${host}>\n"
        'From: "' + "x" * 400 + '" <sip:102@${host}>;tag=${tag}\n'
        "Call-ID: ${callid}\n"
        "CSeq: 1 OPTIONS\n"
        "X-Long: " + "long-value-" * 200 + "\n"
        "Content-Length: 0\n\n",
        ANSWERED,
    ),
    Torture(
        "dblreq",
        "3.1.1.9",
        "compact header names only (v, f, t, i, l)",
        "OPTIONS sip:${host}:${port} SIP/2.0\n"
        "v: SIP/2.0/UDP ${me}:${myport};branch=${branch};rport\n"
        "Max-Forwards: 70\n"
        "t: <sip:${host}>\n"
        "f: <sip:102@${host}>;tag=${tag}\n"
        "i: ${callid}\n"
        "CSeq: 1 OPTIONS\n"
        "l: 0\n\n",
        ANSWERED,
    ),
    Torture(
        "semiuri",
        "3.1.1.10",
        "a semicolon-separated parameter inside the user part",
        "OPTIONS sip:user;par=u%40example.net@${host}:${port} SIP/2.0\n"
        + VIA
        + "Max-Forwards: 70\n"
        "To: <sip:user;par=u%40example.net@${host}>\n"
        "From: <sip:102@${host}>;tag=${tag}\n"
        "Call-ID: ${callid}\n"
        "CSeq: 1 OPTIONS\n"
        "Content-Length: 0\n\n",
        CHALLENGED,
    ),
    Torture(
        "unreason",
        "3.1.1.11 (as a request)",
        "an empty header value of an unknown header and an unknown one "
        "with unusual but legal characters in its value",
        "OPTIONS sip:${host}:${port} SIP/2.0\n" + VIA + "Max-Forwards: 70\n"
        "To: <sip:${host}>\n"
        "From: <sip:102@${host}>;tag=${tag}\n"
        "Call-ID: ${callid}\n"
        "CSeq: 1 OPTIONS\n"
        "X-Empty:\n"
        "X-Utf8: caf\u00e9 \u263a\n"
        "Content-Length: 0\n\n",
        ANSWERED,
    ),
    Torture(
        "unksm2",
        "3.1.1.12",
        "a To header with a URI of an unknown scheme (the Request-URI is SIP)",
        "OPTIONS sip:${host}:${port} SIP/2.0\n" + VIA + "Max-Forwards: 70\n"
        "To: <isbn:2983792873>\n"
        "From: <sip:102@${host}>;tag=${tag}\n"
        "Call-ID: ${callid}\n"
        "CSeq: 1 OPTIONS\n"
        "Content-Length: 0\n\n",
        (200, 400),
    ),
    Torture(
        "scheme-case",
        "3.1.1 (scheme case)",
        "the scheme and the SIP version of the request line in upper and "
        "lower case, which RFC 3261 sections 7.1 and 19.1.4 compare without "
        "case. Known shortcoming: Kamailio does not take SIP:host for itself, "
        "so the PBX challenges the OPTIONS as a request to relay (407) "
        "instead of answering it (200)",
        "OPTIONS SIP:${host}:${port} sip/2.0\n" + VIA + "Max-Forwards: 70\n"
        "To: <sip:${host}>\n"
        "From: <sip:102@${host}>;tag=${tag}\n"
        "Call-ID: ${callid}\n"
        "CSeq: 1 OPTIONS\n"
        "Content-Length: 0\n\n",
        (200, 407),
    ),
    # -- 3.1.2: invalid requests ----------------------------------------------
    Torture(
        "badinv01",
        "3.1.2.1",
        "a Content-Length larger than the body the datagram carries",
        "OPTIONS sip:${host}:${port} SIP/2.0\n" + VIA + "Max-Forwards: 70\n"
        "To: <sip:${host}>\n"
        "From: <sip:102@${host}>;tag=${tag}\n"
        "Call-ID: ${callid}\n"
        "CSeq: 1 OPTIONS\n"
        "Content-Type: text/plain\n"
        "Content-Length: 9999\n\n"
        "short",
        BAD_REQUEST,
    ),
    Torture(
        "ncl",
        "3.1.2.2",
        "a negative Content-Length",
        "OPTIONS sip:${host}:${port} SIP/2.0\n" + VIA + "Max-Forwards: 70\n"
        "To: <sip:${host}>\n"
        "From: <sip:102@${host}>;tag=${tag}\n"
        "Call-ID: ${callid}\n"
        "CSeq: 1 OPTIONS\n"
        "Content-Length: -999\n\n",
        BAD_REQUEST,
    ),
    Torture(
        "scalar02",
        "3.1.2.3",
        "numbers beyond their range: CSeq past 2**32, Max-Forwards past 255",
        "REGISTER sip:${host}:${port} SIP/2.0\n" + VIA + "Max-Forwards: 300\n"
        "To: <sip:101@${host}>\n"
        "From: <sip:101@${host}>;tag=${tag}\n"
        "Call-ID: ${callid}\n"
        "CSeq: 36893488147419103232 REGISTER\n"
        "Contact: <sip:101@${me}:${myport}>\n"
        "Expires: 10000000000000000000000\n"
        "Content-Length: 0\n\n",
        BAD_REQUEST,
    ),
    Torture(
        "quotbal",
        "3.1.2.4",
        "a display name whose quotes never close",
        "INVITE sip:101@${host}:${port} SIP/2.0\n" + VIA + "Max-Forwards: 70\n"
        'To: "Mr. J. User <sip:101@${host}>\n'
        "From: <sip:102@${host}>;tag=${tag}\n"
        "Call-ID: ${callid}\n"
        "CSeq: 1 INVITE\n"
        "Contact: <sip:102@${me}:${myport}>\n"
        "Content-Length: 0\n\n",
        BAD_REQUEST,
    ),
    Torture(
        "ltgtruri",
        "3.1.2.5",
        "a Request-URI enclosed in < and >",
        "INVITE <sip:101@${host}:${port}> SIP/2.0\n" + VIA + "Max-Forwards: 70\n"
        "To: <sip:101@${host}>\n"
        "From: <sip:102@${host}>;tag=${tag}\n"
        "Call-ID: ${callid}\n"
        "CSeq: 1 INVITE\n"
        "Contact: <sip:102@${me}:${myport}>\n"
        "Content-Length: 0\n\n",
        BAD_REQUEST,
    ),
    Torture(
        "lwsruri",
        "3.1.2.6",
        "whitespace inside the Request-URI",
        "INVITE sip:101@${host}:${port}; lr SIP/2.0\n" + VIA + "Max-Forwards: 70\n"
        "To: <sip:101@${host}>\n"
        "From: <sip:102@${host}>;tag=${tag}\n"
        "Call-ID: ${callid}\n"
        "CSeq: 1 INVITE\n"
        "Contact: <sip:102@${me}:${myport}>\n"
        "Content-Length: 0\n\n",
        BAD_REQUEST,
    ),
    Torture(
        "lwsstart",
        "3.1.2.7",
        "several spaces between the parts of the request line",
        "INVITE  sip:101@${host}:${port}   SIP/2.0\n" + VIA + "Max-Forwards: 70\n"
        "To: <sip:101@${host}>\n"
        "From: <sip:102@${host}>;tag=${tag}\n"
        "Call-ID: ${callid}\n"
        "CSeq: 1 INVITE\n"
        "Content-Length: 0\n\n",
        BAD_REQUEST,
    ),
    Torture(
        "trws",
        "3.1.2.8",
        "spaces after the SIP version at the end of the request line",
        "OPTIONS sip:${host}:${port} SIP/2.0  \n" + VIA + "Max-Forwards: 70\n"
        "To: <sip:${host}>\n"
        "From: <sip:102@${host}>;tag=${tag}\n"
        "Call-ID: ${callid}\n"
        "CSeq: 1 OPTIONS\n"
        "Content-Length: 0\n\n",
        BAD_REQUEST,
    ),
    Torture(
        "escruri",
        "3.1.2.9",
        "escaped headers in a SIP Request-URI",
        "INVITE sip:101@${host}:${port}?Route=%3Csip:example.com%3E SIP/2.0\n"
        + VIA
        + "Max-Forwards: 70\n"
        "To: <sip:101@${host}>\n"
        "From: <sip:102@${host}>;tag=${tag}\n"
        "Call-ID: ${callid}\n"
        "CSeq: 1 INVITE\n"
        "Contact: <sip:102@${me}:${myport}>\n"
        "Content-Length: 0\n\n",
        # RFC 4475 lets an element reject it or ignore the escaped headers;
        # the PBX ignores them and challenges the call like any other.
        (400, 407, None),
    ),
    Torture(
        "badaspec",
        "3.1.2.11",
        "spaces inside the addr-spec of a To header",
        "OPTIONS sip:${host}:${port} SIP/2.0\n" + VIA + "Max-Forwards: 70\n"
        "To: <sip:${host} ; what = ever>\n"
        "From: <sip:102@${host}>;tag=${tag}\n"
        "Call-ID: ${callid}\n"
        "CSeq: 1 OPTIONS\n"
        "Content-Length: 0\n\n",
        BAD_REQUEST,
    ),
    Torture(
        "baddn",
        "3.1.2.12",
        "a display name with characters a token does not allow, unquoted",
        "OPTIONS sip:${host}:${port} SIP/2.0\n" + VIA + "Max-Forwards: 70\n"
        "To: <sip:${host}>\n"
        "From: Bell, Alexander <sip:102@${host}>;tag=${tag}\n"
        "Call-ID: ${callid}\n"
        "CSeq: 1 OPTIONS\n"
        "Content-Length: 0\n\n",
        BAD_REQUEST,
    ),
    Torture(
        "badvers",
        "3.1.2.13",
        "a SIP version the PBX does not speak",
        "OPTIONS sip:${host}:${port} SIP/7.0\n"
        "Via: SIP/7.0/UDP ${me}:${myport};branch=${branch};rport\n"
        "Max-Forwards: 70\n"
        "To: <sip:${host}>\n"
        "From: <sip:102@${host}>;tag=${tag}\n"
        "Call-ID: ${callid}\n"
        "CSeq: 1 OPTIONS\n"
        "Content-Length: 0\n\n",
        (505, 400, None),
    ),
    Torture(
        "mismatch01",
        "3.1.2.14",
        "the CSeq method differs from the request's method",
        "OPTIONS sip:${host}:${port} SIP/2.0\n" + VIA + "Max-Forwards: 70\n"
        "To: <sip:${host}>\n"
        "From: <sip:102@${host}>;tag=${tag}\n"
        "Call-ID: ${callid}\n"
        "CSeq: 1 INVITE\n"
        "Content-Length: 0\n\n",
        BAD_REQUEST,
    ),
    Torture(
        "mismatch02",
        "3.1.2.15",
        "an unknown method whose CSeq names another",
        "NEWMETHOD sip:${host}:${port} SIP/2.0\n" + VIA + "Max-Forwards: 70\n"
        "To: <sip:${host}>\n"
        "From: <sip:102@${host}>;tag=${tag}\n"
        "Call-ID: ${callid}\n"
        "CSeq: 1 INVITE\n"
        "Content-Length: 0\n\n",
        BAD_REQUEST,
    ),
    # -- 3.3: application-layer semantics -------------------------------------
    Torture(
        "insuf",
        "3.3.1",
        "required headers missing (no Call-ID, no From, no Max-Forwards)",
        "INVITE sip:101@${host}:${port} SIP/2.0\n" + VIA + "To: <sip:101@${host}>\n"
        "CSeq: 1 INVITE\n"
        "Content-Length: 0\n\n",
        BAD_REQUEST,
    ),
    Torture(
        "unksm",
        "3.3.2",
        "a Request-URI of a scheme the PBX does not know",
        "OPTIONS nobodyKnowsThisScheme:totallyopaquecontent SIP/2.0\n"
        + VIA
        + "Max-Forwards: 70\n"
        "To: <sip:${host}>\n"
        "From: <sip:102@${host}>;tag=${tag}\n"
        "Call-ID: ${callid}\n"
        "CSeq: 1 OPTIONS\n"
        "Content-Length: 0\n\n",
        (416, 400),
    ),
    Torture(
        "multi01",
        "3.3.4",
        "several values in headers that allow one (Call-ID, CSeq, To)",
        "INVITE sip:101@${host}:${port} SIP/2.0\n" + VIA + "Max-Forwards: 70\n"
        "To: <sip:101@${host}>\n"
        "To: <sip:102@${host}>\n"
        "From: <sip:102@${host}>;tag=${tag}\n"
        "Call-ID: ${callid}\n"
        "Call-ID: other-${callid}\n"
        "CSeq: 1 INVITE\n"
        "CSeq: 2 INVITE\n"
        "Contact: <sip:102@${me}:${myport}>\n"
        "Content-Length: 0\n\n",
        BAD_REQUEST,
    ),
    Torture(
        "authunknown",
        "3.3.11",
        "credentials of an authentication scheme nobody knows",
        "REGISTER sip:${host}:${port} SIP/2.0\n" + VIA + "Max-Forwards: 70\n"
        "To: <sip:101@${host}>\n"
        "From: <sip:101@${host}>;tag=${tag}\n"
        "Call-ID: ${callid}\n"
        "CSeq: 1 REGISTER\n"
        "Contact: <sip:101@${me}:${myport}>\n"
        "Authorization: NoOneKnowsThisScheme opaque-data=here\n"
        "Content-Length: 0\n\n",
        (401, 400),
    ),
    Torture(
        "bext01",
        "3.3.7",
        "a Require naming an extension the PBX does not support",
        "OPTIONS sip:${host}:${port} SIP/2.0\n" + VIA + "Max-Forwards: 70\n"
        "To: <sip:${host}>\n"
        "From: <sip:102@${host}>;tag=${tag}\n"
        "Call-ID: ${callid}\n"
        "CSeq: 1 OPTIONS\n"
        "Require: nothingSupportsThis, nothingSupportsThisEither\n"
        "Content-Length: 0\n\n",
        (420,),
    ),
]

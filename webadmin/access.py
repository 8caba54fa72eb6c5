"""Who is asking: sessions, bearer tokens, CSRF tokens and cookies.

Every request passes ``authorize_request`` before routing. Sign-in, static
assets and ``/prov/`` are open; everything else needs a session cookie (the
pages) or a session or bearer token (the API). Without one the API answers
401 and the pages send the browser to sign in. A request that changes
something with a session must carry the session's CSRF token (synchronizer
token pattern), compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import urllib.parse
from dataclasses import dataclass
from typing import NoReturn

import bottle

from agent.accounts import sessions, tokens
from agent.accounts.roles import Principal
from agent.security import events
from webadmin import problems

# __Host- cookies are only accepted over HTTPS, for the whole site, and
# never for a parent domain (RFC 6265bis section 4.1.3.2).
SESSION_COOKIE = "__Host-edgepbx_session"
SIGNIN_COOKIE = "__Host-edgepbx_signin"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SIGNIN_PATH = "/signin"
PUBLIC_PATHS = frozenset({SIGNIN_PATH})
PUBLIC_PREFIXES = ("/static/", "/prov/")
API_PREFIX = "/api/"
# Until its one-time password is replaced, a session may only do this.
PASSWORD_PENDING_PATHS = frozenset({"/password", "/signout"})
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SIGNIN_NONCE_BYTES = 16
# The sign-in form's token lives as long as the form could sensibly stay open.
SIGNIN_COOKIE_MAX_AGE_S = 3600

_AUTH_KEY = "edgepbx.auth"
# A Location header is Latin-1 on the wire: anything else is percent-encoded.
_PRINTABLE_ASCII = "".join(chr(code) for code in range(0x21, 0x7F))


@dataclass(frozen=True)
class Auth:
    """The principal behind a request, and its session when it has one."""

    principal: Principal
    session: sessions.Session | None = None


def client_ip() -> str:
    """The peer's address; X-Forwarded-For is not trusted, nothing proxies us."""
    return bottle.request.environ.get("REMOTE_ADDR", "")


def is_api(path: str) -> bool:
    return path.startswith(API_PREFIX)


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def current() -> Auth:
    """The request's Auth; only called by routes that are not public."""
    return bottle.request.environ[_AUTH_KEY]


def current_or_none() -> Auth | None:
    return bottle.request.environ.get(_AUTH_KEY)


# -- the hook ------------------------------------------------------------------


def authorize_request() -> None:
    """Run before every route: find the principal or refuse the request."""
    request = bottle.request
    path = request.path
    if path.startswith(PUBLIC_PREFIXES):
        return
    session = _session_from_cookie()
    if session is not None:
        request.environ[_AUTH_KEY] = Auth(session.principal, session)
    if is_public(path):
        return

    api = is_api(path)
    if api and request.get_header("Authorization"):
        request.environ[_AUTH_KEY] = Auth(_principal_from_bearer())
        return
    if session is None:
        _refuse_anonymous(api)

    if session.must_change_password and path not in PASSWORD_PENDING_PATHS:
        if api:
            _raise_problem(
                403, "password-change-required", "change the one-time password first"
            )
        redirect("/password", 303)
    if request.method in UNSAFE_METHODS:
        check_csrf(session, api)


def _session_from_cookie() -> sessions.Session | None:
    token = bottle.request.get_cookie(SESSION_COOKIE) or ""
    return sessions.resume(token) if token else None


def _principal_from_bearer() -> Principal:
    scheme, _, token = bottle.request.get_header("Authorization", "").partition(" ")
    principal = None
    if scheme.lower() == "bearer":
        principal = tokens.principal_for(token.strip())
    if principal is None:
        events.report(
            events.SecurityEvent(
                events.API_TOKEN_REJECTED,
                client_ip(),
                bottle.request.path,
                "unknown or malformed bearer token",
            )
        )
        _raise_problem(401, "not-signed-in", "the bearer token is not valid")
    return principal


def _refuse_anonymous(api: bool) -> None:
    if api:
        _raise_problem(
            401, "not-signed-in", "sign in or send an API token (Authorization: Bearer)"
        )
    target = bottle.request.fullpath
    if bottle.request.query_string:
        target += "?" + bottle.request.query_string
    query = urllib.parse.urlencode({"next": target})
    redirect(f"{SIGNIN_PATH}?{query}", 303)


def _raise_problem(status: int, kind: str, detail: str) -> None:
    code, body = problems.problem(status, kind, detail)
    headers = {"Content-Type": problems.MEDIA_TYPE}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="edgepbx"'
    raise bottle.HTTPResponse(body, code, headers)


def redirect(path: str, code: int = 303) -> NoReturn:
    """Send the browser to a path on this site.

    The Location is the path alone (RFC 9110 section 10.2.2 allows a
    relative reference): the browser resolves it against the address it
    used, so the Host header, which anyone can set, never picks the target.
    Cookies set for this response go with the redirect.
    """
    if not path.startswith("/") or path.startswith("//"):
        raise ValueError(f"not a path on this site: {path!r}")
    reply = bottle.response.copy(cls=bottle.HTTPResponse)
    reply.status = code
    reply.body = ""
    reply.set_header("Location", urllib.parse.quote(path, safe=_PRINTABLE_ASCII))
    raise reply


# -- CSRF ------------------------------------------------------------------------


def check_csrf(session: sessions.Session, api: bool) -> None:
    """Refuse a state-changing request whose CSRF token is not the session's."""
    request = bottle.request
    sent = request.get_header(CSRF_HEADER, "")
    if not sent and not api:
        sent = request.forms.get(CSRF_FIELD, "")
    if not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
        if api:
            _raise_problem(
                403, "csrf-token-missing", f"send the session's {CSRF_HEADER} header"
            )
        raise bottle.HTTPResponse(
            "The form had expired or did not come from this site. "
            "Go back, reload the page and try again.",
            403,
            {"Content-Type": "text/plain; charset=utf-8"},
        )


def signin_csrf(secret: bytes) -> str:
    """The sign-in form's token: there is no session yet, so it is tied to a
    random cookie (SameSite=Strict) by an HMAC under the appliance's secret."""
    nonce = bottle.request.get_cookie(SIGNIN_COOKIE) or ""
    if len(nonce) < SIGNIN_NONCE_BYTES:
        nonce = secrets.token_urlsafe(SIGNIN_NONCE_BYTES)
        set_cookie(SIGNIN_COOKIE, nonce, max_age=SIGNIN_COOKIE_MAX_AGE_S)
    return hmac.new(secret, nonce.encode(), hashlib.sha256).hexdigest()


def signin_csrf_ok(secret: bytes, sent: str) -> bool:
    nonce = bottle.request.get_cookie(SIGNIN_COOKIE) or ""
    if not nonce:
        return False
    expected = hmac.new(secret, nonce.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), (sent or "").encode())


# -- cookies -----------------------------------------------------------------------


def set_cookie(name: str, value: str, max_age: int | None = None) -> None:
    options: dict = {
        "path": "/",
        "secure": True,
        "httponly": True,
        "samesite": "strict",
    }
    if max_age is not None:
        options["max_age"] = max_age
    bottle.response.set_cookie(name, value, **options)


def clear_cookie(name: str) -> None:
    bottle.response.delete_cookie(
        name, path="/", secure=True, httponly=True, samesite="strict"
    )


def start_session(session: sessions.Session) -> None:
    # No max_age: the cookie ends with the browser; the server ends it
    # sooner on idle (sessions.IDLE_TIMEOUT_S).
    set_cookie(SESSION_COOKIE, session.token)
    clear_cookie(SIGNIN_COOKIE)

"""An HTTPS client for the web admin tests: cookies, CSRF tokens, no magic.

It trusts exactly the certificate the appliance made (the tests talk to
127.0.0.1, which the certificate names), keeps cookies like a browser
would for one site, and never follows redirects, so tests see each one.
"""

from __future__ import annotations

import html
import http.client
import itertools
import json
import re
import ssl
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

TIMEOUT_S = 10.0
_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')
_VERSION = re.compile(r'name="version" value="([0-9a-f]*)"')


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str
    set_cookies: list[str] = field(default_factory=list)
    body_bytes: bytes = b""

    def json(self):
        return json.loads(self.body)

    @property
    def location(self) -> str:
        return urllib.parse.urlsplit(self.headers.get("location", "")).path

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0]

    def csrf_token(self) -> str:
        match = _CSRF.search(self.body)
        assert match, f"no CSRF token in the page:\n{self.body[:2000]}"
        return match.group(1)

    def form_version(self) -> str:
        """The version of the row the page's first edit form was loaded
        from; empty when it has none."""
        match = _VERSION.search(self.body)
        return match.group(1) if match else ""


class WebClient:
    def __init__(self, port: int, certificate: Path, host: str = "127.0.0.1"):
        self.host = host
        self.port = port
        self.context = ssl.create_default_context(cafile=str(certificate))
        self.cookies: dict[str, str] = {}
        self.bearer: str | None = None

    def request(
        self,
        method: str,
        path: str,
        *,
        form: dict | None = None,
        json_body: object = None,
        body: bytes | Iterable[bytes] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """Send one request; a body given as an iterable goes chunked."""
        headers = dict(headers or {})
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        elif json_body is not None:
            body = json.dumps(json_body).encode()
            headers.setdefault("Content-Type", "application/json")
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.bearer:
            headers["Authorization"] = f"Bearer {self.bearer}"
        connection = http.client.HTTPSConnection(
            self.host, self.port, timeout=TIMEOUT_S, context=self.context
        )
        try:
            connection.request(method, path, body=body, headers=headers)
            reply = connection.getresponse()
            data = reply.read()
            text = data.decode("utf-8", errors="replace")
            set_cookies = reply.headers.get_all("Set-Cookie") or []
            response = Response(
                reply.status,
                {k.lower(): v for k, v in reply.getheaders()},
                text,
                set_cookies,
                data,
            )
        finally:
            connection.close()
        self._remember(set_cookies)
        return response

    def _remember(self, set_cookies: list[str]) -> None:
        for line in set_cookies:
            cookie = SimpleCookie()
            cookie.load(line)
            for name, morsel in cookie.items():
                expired = morsel["max-age"] == "0" or "1970" in morsel["expires"]
                if expired or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def post_form(
        self, path: str, form: dict, csrf_from: str | None = None
    ) -> Response:
        """Post a form with the CSRF token of the page it came from, and
        the version its edit form carries, as a browser would."""
        page = self.get(csrf_from or path)
        carried = {"csrf_token": page.csrf_token()}
        if version := page.form_version():
            carried["version"] = version
        return self.request("POST", path, form=carried | form)

    def sign_in(self, username: str, password: str) -> Response:
        page = self.get("/signin")
        return self.request(
            "POST",
            "/signin",
            form={
                "csrf_token": page.csrf_token(),
                "username": username,
                "password": password,
                "next": "/",
            },
        )

    def change_password(self, current: str, new: str) -> Response:
        return self.post_form(
            "/password",
            {
                "current_password": current,
                "new_password": new,
                "confirm_password": new,
            },
        )

    def csrf_token(self) -> str:
        """The session's CSRF token, as a page carries it."""
        return self.get("/account").csrf_token()

    def post_file(
        self,
        path: str,
        fields: dict[str, str],
        file_name: str,
        data: bytes,
        csrf_from: str,
    ) -> Response:
        """Post a form with a file, as a browser's file input sends it."""
        token = self.get(csrf_from).csrf_token()
        body, content_type = multipart({"csrf_token": token, **fields}, file_name, data)
        return self.request(
            "POST", path, body=body, headers={"Content-Type": content_type}
        )


def multipart(
    fields: dict[str, str], file_name: str, data: bytes, file_field: str = "file"
) -> tuple[bytes, str]:
    """A multipart/form-data body of fields and one file, sent as
    ``file_field``."""
    boundary = "edgepbx-test-boundary-7d3a"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        f"{value}\r\n".encode()
        for name, value in fields.items()
    ]
    parts.append(
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
            f'filename="{file_name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def field_error(body: str, field: str) -> str:
    """The error a page shows beside a field, as the person reads it."""
    found = re.search(rf'id="{field}-error">([^<]*)<', body)
    assert found, f"no error shown at {field}:\n{body[:2000]}"
    return html.unescape(found.group(1))


_accounts_made = itertools.count(1)

#: A password that meets the sign-in policy, chosen by the "person" in tests.
CHOSEN_PASSWORD = "Quiet-Harbour-2026"


def client(pbx) -> WebClient:
    """A fresh browser-like client for the running appliance."""
    return WebClient(pbx.https_port, pbx.certificate)


def one_time_password(pbx, username: str = "admin") -> str:
    result = pbx.cli("admin", "reset-password", username, "--json")
    assert result.returncode == 0, result.stderr
    return result.json()["one_time_password"]


def signed_in(pbx, role: str = "super-administrator") -> WebClient:
    """A client signed in as an account of role, its password already chosen.

    The super administrator is the ``admin`` made on first start; other
    roles get an account of their own, made through the CLI.
    """
    if role == "super-administrator":
        username, password = "admin", one_time_password(pbx)
    else:
        username = f"{role.replace('-', '')}{next(_accounts_made)}"
        made = pbx.cli("account", "add", username, "--role", role, "--json")
        assert made.returncode == 0, made.stderr
        password = made.json()["one_time_password"]
    web = client(pbx)
    assert web.sign_in(username, password).location == "/password"
    assert web.change_password(password, CHOSEN_PASSWORD).status == 303
    return web


def api_client(pbx, role: str) -> WebClient:
    """A client that sends a bearer token of role and no cookies."""
    made = pbx.cli("token", "create", "--role", role, "--name", role, "--json")
    assert made.returncode == 0, made.stderr
    web = client(pbx)
    web.bearer = made.json()["token"]
    return web


_SECRET = re.compile(r'<code id="secret" class="secret">([^<]+)</code>')


def portal_account(admin: WebClient, number: str) -> str:
    """Make the extension's portal account from its page; the one-time password."""
    made = admin.post_form(
        f"/extensions/{number}/portal-account", {}, csrf_from=f"/extensions/{number}"
    )
    assert made.location == f"/extensions/{number}/portal-account", made.body
    shown = admin.get(made.headers["location"])
    match = _SECRET.search(shown.body)
    assert match, shown.body
    return match.group(1)


def portal_user(pbx, admin: WebClient, number: str) -> WebClient:
    """The extension's user, signed into the portal with a password chosen."""
    password = portal_account(admin, number)
    user = client(pbx)
    user.sign_in(number, password)
    assert user.change_password(password, CHOSEN_PASSWORD).status == 303
    return user

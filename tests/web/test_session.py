"""Signing in and out of the web page: cookie sessions, CSRF, wrong tokens, expiry, revocation."""

from __future__ import annotations

import base64
import json

from accord.clock import FixedClock
from accord.entrypoints.web.session import COOKIE
from tests.web.conftest import Site
from tests.web.server import csrf_in, sign_in


def test_pages_ask_for_sign_in_first(site: Site) -> None:
    client = site.client()
    for path in ("/", "/proposals", "/proposals/prop_x"):
        response = client.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/signin?next=" + path)
    page = client.get("/signin")
    assert page.status_code == 200
    assert '<label for="token">Member token</label>' in page.text


def test_sign_in_sets_an_httponly_lax_cookie_without_the_token(site: Site) -> None:
    client = site.client()
    csrf = csrf_in(client.get("/signin").text)
    token = site.world.tokens["alice"]
    response = client.post("/signin", data={"csrf": csrf, "token": token, "next": "/proposals"})
    assert response.status_code == 303
    assert response.headers["location"] == "/proposals"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(COOKIE + "=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert token not in cookie and token[4:] not in cookie
    payload = json.loads(base64.urlsafe_b64decode(cookie.split("=", 1)[1].split(".")[0] + "=="))
    assert payload["m"] == "alice" and token not in json.dumps(payload)
    home = client.get("/")
    assert home.status_code == 200
    assert "Signed in as <strong>alice</strong>" in home.text
    assert token not in home.text


def test_a_wrong_token_is_refused_with_the_api_message_and_signs_nobody_in(site: Site) -> None:
    client = site.client()
    csrf = csrf_in(client.get("/signin").text)
    response = client.post("/signin", data={"csrf": csrf, "token": "acc_not-a-real-token-at-all", "next": "/"})
    assert response.status_code == 401
    assert "invalid token: it matches no member" in response.text
    assert 'aria-invalid="true"' in response.text
    assert client.get("/").status_code == 303
    empty = client.post("/signin", data={"csrf": csrf, "token": "", "next": "/"})
    assert empty.status_code == 401
    assert "missing token" in empty.text


def test_sign_in_without_the_csrf_token_is_refused(site: Site) -> None:
    client = site.client()
    client.get("/signin")
    for data in ({"token": site.world.tokens["alice"]}, {"token": site.world.tokens["alice"], "csrf": "forged"}):
        response = client.post("/signin", data=data)
        assert response.status_code == 403
        assert "CSRF check failed" in response.text
        assert client.get("/").status_code == 303


def test_sign_out_needs_csrf_and_ends_the_session(site: Site) -> None:
    client = site.client("alice")
    refused = client.post("/signout", data={"csrf": "wrong"})
    assert refused.status_code == 403
    assert client.get("/").status_code == 200
    csrf = csrf_in(client.get("/").text)
    out = client.post("/signout", data={"csrf": csrf})
    assert out.status_code == 303 and out.headers["location"] == "/signin?signed_out=1"
    assert client.get("/").status_code == 303
    assert "You are signed out." in client.get("/signin?signed_out=1").text
    # The old CSRF token died with the session.
    assert client.post("/signout", data={"csrf": csrf}).status_code == 403


def test_a_csrf_token_of_another_session_is_refused(site: Site) -> None:
    alice = site.client("alice")
    mallory = site.client("bob")
    stolen = csrf_in(mallory.get("/").text)
    assert alice.post("/signout", data={"csrf": stolen}).status_code == 403
    assert alice.get("/").status_code == 200


def test_a_form_posted_from_another_origin_is_refused(site: Site) -> None:
    client = site.client("alice")
    csrf = csrf_in(client.get("/").text)
    response = client.post("/signout", data={"csrf": csrf}, headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert client.get("/").status_code == 200


def test_a_tampered_cookie_counts_as_signed_out(site: Site) -> None:
    client = site.client("alice")
    value = client.cookies[COOKIE]
    body, mac = value.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=="))
    payload["m"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode() + "." + mac
    client.cookies.clear()
    client.cookies.set(COOKIE, forged)
    assert client.get("/").status_code == 303
    for junk in ("x", "a.b", "....", "%C3%A9.%C3%A9", "e30.AAAA"):
        client.cookies.clear()
        client.cookies.set(COOKIE, junk)
        assert client.get("/").status_code == 303


def test_a_session_ends_after_twelve_hours(site: Site, clock: FixedClock) -> None:
    client = site.client("alice")
    clock.advance(hours=11.9)
    assert client.get("/").status_code == 200
    clock.advance(hours=0.2)
    assert client.get("/").status_code == 303


def test_revoking_the_token_ends_the_web_session(site: Site) -> None:
    client = site.client("alice")
    site.world.api("alice").revoke_token("alice")
    response = client.get("/", follow_redirects=True)
    assert response.url.path == "/signin"
    assert "your sign-in has ended: token revoked" in response.text


def test_next_only_goes_to_this_site(site: Site) -> None:
    token = site.world.tokens["alice"]
    for target in ("//evil.example/x", "https://evil.example", "/\\evil.example", ""):
        client = site.client()
        csrf = csrf_in(client.get("/signin").text)
        response = client.post("/signin", data={"csrf": csrf, "token": token, "next": target})
        assert response.status_code == 303
        assert response.headers["location"] == "/"


def test_a_signed_in_member_visiting_sign_in_goes_on(site: Site) -> None:
    client = site.client("alice")
    response = client.get("/signin?next=/proposals")
    assert response.status_code == 303 and response.headers["location"] == "/proposals"


def test_pages_carry_a_strict_content_security_policy(site: Site) -> None:
    client = site.client()
    signin = client.get("/signin")
    csp = signin.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp and "unsafe-inline" not in csp
    assert signin.headers["x-frame-options"] == "DENY"
    sign_in(client, site.world.tokens["alice"])
    assert client.get("/").headers["content-security-policy"] == csp
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/app.css").headers["content-type"].startswith("text/css")

"""Member channels as Apprise URLs (SPEC §11): which schemes are allowed, masking, target checks, sending.

Apprise parses, masks and sends every URL (no hand-written SMTP or chat client here). Only schemes on the
allow-list are accepted: mail, chat, push, and json/xml/form over http(s). A channel whose server Accord
connects to directly (mail's SMTP host, json/xml/form, self-hosted ntfy, Gotify, Mattermost, Rocket.Chat,
Matrix) is refused when that host resolves to a loopback, private or link-local address, unless
ACCORD_ALLOW_PRIVATE_TARGETS=1; the check runs when the channel is added and again at each delivery.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from accord.domain.errors import ValidationError
from accord.domain.webhooks import refused_address

MAX_URL = 2000
SCHEMES: dict[str, str] = {
    **dict.fromkeys(("mailto", "mailtos"), "mail"),
    **dict.fromkeys(
        (
            "slack",
            "discord",
            "msteams",
            "mmost",
            "mmosts",
            "rocket",
            "rockets",
            "matrix",
            "matrixs",
            "tgram",
            "zulip",
            "gchat",
            "wxteams",
            "webex",
        ),
        "chat",
    ),
    **dict.fromkeys(("ntfy", "ntfys", "pover", "pbul", "gotify", "gotifys"), "push"),
    **dict.fromkeys(("json", "jsons", "xml", "xmls", "form", "forms"), "http"),
}
# Schemes whose host is a server Accord itself connects to (the rest talk to their vendor's fixed service).
SELF_HOSTED = {
    "mailto",
    "mailtos",
    "json",
    "jsons",
    "xml",
    "xmls",
    "form",
    "forms",
    "ntfy",
    "ntfys",
    "gotify",
    "gotifys",
    "mmost",
    "mmosts",
    "rocket",
    "rockets",
    "matrix",
    "matrixs",
}


@dataclass(frozen=True)
class ParsedChannel:
    url: str
    scheme: str
    masked: str
    host: str | None  # the host Accord connects to, when it is not a vendor's fixed service


def scheme_of(url: str) -> str:
    return url.split("://", 1)[0].strip().lower() if "://" in url else ""


def parse(url: object) -> ParsedChannel:
    """Check an Apprise URL against the allow-list and parse it; ValidationError naming `url` otherwise."""
    if not isinstance(url, str) or not url.strip():
        raise ValidationError("url is required: an Apprise URL such as mailto://… or slack://…", field="url")
    url = url.strip()
    if len(url) > MAX_URL:
        raise ValidationError(f"url is {len(url)} characters long; at most {MAX_URL} are allowed", field="url")
    scheme = scheme_of(url)
    if scheme not in SCHEMES:
        raise ValidationError(
            f"url scheme {scheme or '(none)'!r} is not allowed: use mail (mailto, mailtos), chat (slack, discord, "
            "msteams, mmost, rocket, matrix, tgram, zulip, gchat, wxteams), push (ntfy, pover, pbul, gotify) or "
            "json, xml, form over http(s) (json, jsons, xml, xmls, form, forms)",
            field="url",
            allowed=sorted(SCHEMES),
        )
    import apprise  # imported on first use: every CLI call and spawned process starts without it

    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if plugin is None or isinstance(plugin, bool):
        raise ValidationError(
            f"url is not a valid {scheme}:// Apprise URL: check its parts against Apprise's documentation "
            "for that service",
            field="url",
        )
    masked = _only_given_options(str(plugin.url(privacy=True)), url)  # type: ignore[no-untyped-call]
    return ParsedChannel(url=url, scheme=scheme, masked=masked, host=_host(plugin, scheme))


def _only_given_options(masked: str, given: str) -> str:
    """Apprise's masked URL without the default options it spells out (overflow=, retry=, …): only the query
    keys the member wrote stay, with Apprise's masking of their values."""
    parts = urlsplit(masked)
    wanted = {key.lower() for key, _ in parse_qsl(urlsplit(given).query, keep_blank_values=True)}
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() in wanted]
    return urlunsplit(parts._replace(query=urlencode(kept, safe="*@"))).rstrip("?")


def _host(plugin: Any, scheme: str) -> str | None:
    if scheme not in SELF_HOSTED:
        return None
    if scheme in ("ntfy", "ntfys") and getattr(plugin, "mode", None) != "private":
        return None  # ntfy://topic goes to the public ntfy.sh service
    host = getattr(plugin, "smtp_host", None) if scheme in ("mailto", "mailtos") else getattr(plugin, "host", None)
    return str(host) if host else None


def check_target(channel: ParsedChannel, *, allow_private: bool) -> None:
    """ValidationError (field `url`) when the channel's own server resolves to a loopback, private or
    link-local address (SPEC §11 Targets), or does not resolve; nothing to check for vendor services or with
    `allow_private`. The message names the host, never the URL (it may hold a secret)."""
    if allow_private or channel.host is None:
        return
    try:
        infos = socket.getaddrinfo(channel.host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise ValidationError(
            f"url is refused: host {channel.host} does not resolve: {exc}", field="url", host=channel.host
        ) from None
    refused = refused_address(sorted({str(info[4][0]) for info in infos}))
    if refused is not None:
        raise ValidationError(
            f"url is refused: host {channel.host} resolves to {refused}, a loopback, private or link-local address "
            "(allowed only with ACCORD_ALLOW_PRIVATE_TARGETS=1)",
            field="url",
            host=channel.host,
        )


@dataclass(frozen=True)
class Sent:
    ok: bool
    latency_ms: float
    error: str | None = None


def send(url: str, title: str, body: str, *, allow_private: bool) -> Sent:
    """Send one notice through Apprise; what happened, with Apprise's own log lines as the error."""
    started = time.monotonic()
    try:
        check_target(parse(url), allow_private=allow_private)
    except ValidationError as exc:
        return Sent(False, 0.0, exc.message)
    import apprise

    notifier = apprise.Apprise()
    notifier.add(url)
    with apprise.LogCapture(level=apprise.logging.WARNING) as logs:  # type: ignore[no-untyped-call]
        ok = bool(notifier.notify(title=title, body=body))
        captured = logs.getvalue().strip()
    latency = (time.monotonic() - started) * 1000
    return Sent(ok, latency, None if ok else (captured.splitlines()[-1] if captured else "Apprise could not send it"))

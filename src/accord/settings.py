"""Settings from the ACCORD_* environment."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where the store is, who the caller is, and (for remote mode) which server to talk to."""

    model_config = SettingsConfigDict(env_prefix="ACCORD_", extra="ignore")

    database_url: str = "sqlite:///./accord.db"
    token: str | None = None
    url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    sweep_interval_seconds: float = 5.0
    # Signs web-page session cookies; unset, each server process makes its own (sign-ins end at restart).
    session_secret: str | None = None
    # Receipts (SPEC §12): the private signing keys live in this PEM file when set (else in the store), and
    # receipts name this address as their issuer (`iss`).
    signing_key_file: str | None = None
    public_url: str = "http://127.0.0.1:8000"
    # The outbox (SPEC §11): send to loopback/private/link-local hosts (tests, on-premises); each attempt's
    # timeout; whether `accord serve` runs the delivery worker (0 when `accord worker` runs apart).
    allow_private_targets: bool = False
    delivery_timeout_seconds: float = 10.0
    serve_worker: bool = True

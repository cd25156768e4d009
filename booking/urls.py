"""Absolute links to this site, always from the configured BASE_URL.

Links in pages, feeds and e-mail must not come from the request: the Host header (and
X-Forwarded-Host) is whatever the client or a misconfigured proxy sends, so
`Host: evil.example` would otherwise put `http://evil.example/feeds/<secret>/…` on the
account page, and behind a TLS proxy the scheme would come out as http.
"""

from __future__ import annotations

from typing import Any

from flask import current_app


def base_url() -> str:
    """The site's public address without a trailing slash, e.g. "https://booking.example.jp"."""
    return str(current_app.config["BASE_URL"]).rstrip("/")


def external_url(endpoint: str, **values: Any) -> str:
    """BASE_URL followed by the path of `endpoint` with `values` (works without a request)."""
    path = current_app.url_map.bind("localhost", script_name="/").build(endpoint, values)
    return base_url() + path

"""Where webhooks may be sent: a server-side request forgery guard.

In production a target must resolve only to public addresses (checked after DNS
resolution, at registration and again before every attempt, since a name can be pointed
elsewhere later); development allows loopback and private ranges for local receivers."""

import asyncio
import ipaddress
import socket

import httpx

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class TargetRefused(Exception):
    """The URL is not one webhooks may be sent to; the message says why."""


def _forbidden(address: IpAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def parse_target(url: str, *, allow_private: bool) -> httpx.URL:
    """The URL, if its form is acceptable (absolute http(s), a host, no credentials)."""
    try:
        parsed = httpx.URL(url)
        # The host is decoded when first read: an invalid IDNA label (xn--zz) raises here.
        host = parsed.host
    except (httpx.InvalidURL, UnicodeError) as exc:
        raise TargetRefused(f"not a URL: {exc}") from exc
    allowed = ("http", "https") if allow_private else ("https",)
    if parsed.scheme not in allowed:
        raise TargetRefused(f"the scheme must be {' or '.join(allowed)}")
    if not host:
        raise TargetRefused("the URL has no host")
    if parsed.userinfo:
        raise TargetRefused("credentials in the URL are not allowed; use the signature")
    return parsed


async def check_target(url: str, *, allow_private: bool) -> None:
    """Refuse the URL unless it may be sent to now (resolving its host)."""
    parsed = parse_target(url, allow_private=allow_private)
    if allow_private:
        return
    try:
        literal: IpAddress | None = ipaddress.ip_address(parsed.host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                parsed.host, parsed.port or 443, type=socket.SOCK_STREAM
            )
        except OSError as exc:
            raise TargetRefused(f"the host {parsed.host} does not resolve") from exc
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    refused = sorted({str(address) for address in addresses if _forbidden(address)})
    if refused:
        raise TargetRefused(
            f"the host resolves to a loopback, private, link-local, multicast or reserved "
            f"address ({', '.join(refused)})"
        )

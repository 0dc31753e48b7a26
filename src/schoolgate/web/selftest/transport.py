"""The self-test's two questions on the wire: a GET through the school's proxy, as a group's test user
or from its test address, and a DNS query to the school's resolver from a group's test address.

Nothing here judges: it reports what came back (`probes.ProxyAnswer`, `probes.DnsAnswer`), or why
nothing did, in words. Every wait is bounded by `timeout`; nothing raises for a network failure.
"""

from __future__ import annotations

import base64
import errno
import http.client

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

from schoolgate.web.selftest.probes import DnsAnswer, Endpoint, ProxyAnswer

__all__ = ["ask_dns", "ask_proxy"]


def _bind(source: str) -> tuple[str, int] | None:
    return (source, 0) if source else None


def ask_proxy(
    proxy: Endpoint, url: str, *, user: str = "", password: str = "", source: str = "", timeout: float = 10
) -> ProxyAnswer:
    """GET `url` through `proxy` (with a proxy login when `user` is given, from `source` when given)."""
    headers = {"User-Agent": "Schoolgate self-test", "Connection": "close"}
    if user:
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        headers["Proxy-Authorization"] = f"Basic {token}"
    connection = http.client.HTTPConnection(
        proxy.host, proxy.port, timeout=timeout, source_address=_bind(source)
    )
    try:
        connection.request("GET", url, headers=headers)
        response = connection.getresponse()
        response.read(65536)
        return ProxyAnswer(status=response.status, location=response.getheader("Location", "") or "")
    except TimeoutError:
        return ProxyAnswer(error=f"the proxy {proxy} did not answer within {timeout:g} seconds")
    except OSError as error:
        if source and getattr(error, "errno", None) == errno.EADDRNOTAVAIL:
            return ProxyAnswer(error=f"this server does not have the test address {source}")
        return ProxyAnswer(error=f"the proxy {proxy} could not be reached ({error.strerror or error})")
    except (http.client.HTTPException, ValueError) as error:
        return ProxyAnswer(
            error=f"the proxy {proxy} gave an answer that could not be read ({type(error).__name__})"
        )
    finally:
        connection.close()


def ask_dns(resolver: Endpoint, name: str, *, source: str = "", timeout: float = 5) -> DnsAnswer:
    """Ask `resolver` for the A records of `name`, from `source` when given."""
    try:
        query = dns.message.make_query(name, "A")
    except (dns.exception.DNSException, ValueError) as error:
        return DnsAnswer(error=f"{name!r} is not a name that can be asked for ({error})")
    try:
        answer = dns.query.udp(
            query, resolver.host, port=resolver.port, source=source or None, timeout=timeout
        )
        if answer.flags & dns.flags.TC:
            answer = dns.query.tcp(
                query, resolver.host, port=resolver.port, source=source or None, timeout=timeout
            )
    except dns.exception.Timeout:
        return DnsAnswer(error=f"the resolver {resolver} did not answer within {timeout:g} seconds")
    except OSError as error:
        if source and getattr(error, "errno", None) == errno.EADDRNOTAVAIL:
            return DnsAnswer(error=f"this server does not have the test address {source}")
        return DnsAnswer(error=f"the resolver {resolver} could not be reached ({error.strerror or error})")
    except dns.exception.DNSException as error:
        return DnsAnswer(error=f"the resolver {resolver} gave an answer that could not be read ({error})")
    cnames: list[str] = []
    addresses: list[str] = []
    for rrset in answer.answer:
        for record in rrset:
            if rrset.rdtype == dns.rdatatype.CNAME:
                cnames.append(record.to_text())
            elif rrset.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
                addresses.append(record.to_text())
    return DnsAnswer(
        rcode=dns.rcode.to_text(answer.rcode()), cnames=tuple(cnames), addresses=tuple(addresses)
    )

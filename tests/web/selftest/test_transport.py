"""selftest/transport.py: a question that cannot be asked says why in words, never raises. (Answers
from a real Squid and unbound: test_through_gateways.py.)"""

from __future__ import annotations

from schoolgate.web.selftest.probes import Endpoint
from schoolgate.web.selftest.transport import ask_dns, ask_proxy
from tests.servers import free_port

NOT_HERE = "192.0.2.77"  # TEST-NET-1: no interface of this machine holds it


def test_a_test_address_this_server_does_not_hold_is_said_so() -> None:
    closed = Endpoint("127.0.0.1", free_port())
    assert ask_proxy(closed, "http://a.test/", source=NOT_HERE).error == (
        f"this server does not have the test address {NOT_HERE}"
    )
    assert ask_dns(closed, "a.test", source=NOT_HERE).error == (
        f"this server does not have the test address {NOT_HERE}"
    )


def test_a_proxy_that_is_not_there_could_not_be_reached() -> None:
    closed = Endpoint("127.0.0.1", free_port())
    answer = ask_proxy(closed, "http://a.test/", timeout=2)
    assert answer.error.startswith(f"the proxy {closed} could not be reached (")
    assert answer.status == 0


def test_a_name_that_cannot_be_asked_for_is_said_so() -> None:
    answer = ask_dns(Endpoint("127.0.0.1", 53), "a" * 64 + ".test")
    assert answer.error.startswith(f"{'a' * 64 + '.test'!r} is not a name that can be asked for")

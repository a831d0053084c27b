"""The one address rule (``accel_contract.addresses``) accel-api's agent endpoints and
the ramdisk's image URLs share: what it refuses, what it lets through, and that both
users apply this one rule."""

import ipaddress
import socket
from unittest import mock

from accel_api.agents import endpoints
from accel_contract import addresses
from tests.unit import base

OPTION = "[test] allow_loopback"

#: host -> the rule its refusal names
REFUSED = {
    "169.254.169.254": "a cloud metadata service address",
    "fd00:ec2::254": "a cloud metadata service address",
    "fd00:ec2::23": "a cloud metadata service address",
    "100.100.100.200": "a cloud metadata service address",
    "::ffff:169.254.169.254": "a cloud metadata service address",
    "::ffff:100.100.100.200": "a cloud metadata service address",
    "169.254.0.1": "a link-local address",
    "fe80::1": "a link-local address",
    "fe80::1%eth0": "carries a zone (link-local)",
    "[fe80::1%25eth0]": "carries a zone (link-local)",
    "0.0.0.0": "a unspecified address",
    "::": "a unspecified address",
    "239.1.2.3": "a multicast address",
    "ff05::2": "a multicast address",
    "255.255.255.255": "a reserved address",
    "248.0.0.1": "a reserved address",
    "0x7f.1": "in standard form",
    "0xa9.0xfe.0xa9.0xfe": "in standard form",
    "2130706433": "its last label is numeric",
    "017700000001": "its last label is numeric",
    "0251.0376.0251.0376": "its last label is numeric",
    "127.0.0.1": f"a loopback address (allowed only with {OPTION})",
    "::1": "a loopback address",
    "::ffff:127.0.0.1": "a loopback address",
    "LocalHost": "a loopback address",
    "x.localhost.": "a loopback address",
    "under_score.example": "RFC 1123",
    "-lead.example": "RFC 1123",
    "a..b": "RFC 1123",
    "": "not a host name or an IP address",
    "a" * 254: "not a host name or an IP address",
}


class AddressRuleTest(base.TestCase):
    def test_what_is_refused_and_why(self):
        for host, why in REFUSED.items():
            with self.subTest(host=host):
                with self.assertRaises(addresses.RefusedAddress) as caught:
                    addresses.check_host(host, False, "thing", OPTION)
                self.assertIn(why, str(caught.exception))
                self.assertTrue(str(caught.exception).startswith("thing "))

    def test_what_passes_comes_back_normalised(self):
        for host, normal in (("images.example.org", "images.example.org"),
                             ("Images.Example.ORG.", "images.example.org"),
                             ("10.0.0.5", "10.0.0.5"), ("192.0.2.1", "192.0.2.1"),
                             ("2001:DB8::5", "2001:db8::5"), ("[2001:db8::5]", "2001:db8::5"),
                             ("a-1.b2", "a-1.b2")):
            with self.subTest(host=host):
                self.assertEqual(addresses.check_host(host, False, "thing", OPTION), normal)

    def test_loopback_only_when_the_caller_allows_it(self):
        for host in ("127.0.0.1", "127.9.9.9", "::1", "localhost"):
            with self.subTest(host=host):
                addresses.check_host(host, True, "thing", OPTION)
        for host in ("169.254.169.254", "0.0.0.0", "fe80::1"):  # never, loopback or not
            with self.subTest(host=host):
                self.assertRaises(addresses.RefusedAddress, addresses.check_host, host,
                                  True, "thing", OPTION)

    def test_every_resolved_address_is_checked(self):
        with self.assertRaisesRegex(addresses.RefusedAddress,
                                    r"thing 'localhost' \(resolves to 127\.0\.0\.1\) is a "
                                    "loopback address"):
            addresses.check_resolved("localhost", 80, False, "thing", OPTION)
        found = addresses.check_resolved("localhost", 80, True, "thing", OPTION)
        self.assertIn(ipaddress.ip_address("127.0.0.1"), found)
        real = socket.getaddrinfo

        def getaddrinfo(host, port, *args, **kwargs):
            if host == "gone.example.test":
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            if host != "two.example.test":
                return real(host, port, *args, **kwargs)
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.0.2.1", port)),
                    (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("fe80::1%eth0", port, 0, 2))]

        with mock.patch.object(socket, "getaddrinfo", side_effect=getaddrinfo):
            # One good address does not excuse a bad one.
            with self.assertRaisesRegex(addresses.RefusedAddress,
                                        r"\(resolves to fe80::1\) is a link-local address"):
                addresses.check_resolved("two.example.test", 80, True, "thing", OPTION)
            with self.assertRaisesRegex(addresses.RefusedAddress,
                                        "thing 'gone.example.test' does not resolve"):
                addresses.check_resolved("gone.example.test", 80, True, "thing", OPTION)

    def test_accel_api_agent_endpoints_apply_this_rule(self):
        self.assertIs(endpoints.RefusedEndpoint, addresses.RefusedAddress)
        with self.assertRaisesRegex(addresses.RefusedAddress,
                                    r"rpc_host '127\.0\.0\.1' is a loopback address \(allowed "
                                    r"only with \[agent_rpc\] allow_loopback\)"):
            endpoints.check_rpc_host("127.0.0.1")
        with self.assertRaisesRegex(addresses.RefusedAddress, "rpc_host '0x7f.1' is neither"):
            endpoints.check_rpc_host("0x7f.1")

"""`schoolgate squid config`: a complete, commented squid.conf (or the fragment to include) for a school.

What it sets up:

- an explicit proxy port (browsers and devices are pointed at it, by hand, by group policy or WPAD);
- Schoolgate's helper as Squid's url_rewrite program, with concurrency (one helper process answers
  many requests at once) and a number of children that keeps up with a school's traffic;
  `url_rewrite_bypass off`, so that a request is never let through unfiltered when the helpers are busy;
- who may use the proxy: the school's networks; with `auth = "basic"`, a login (Basic, against a password
  file kept with `schoolgate squid passwd`) for everyone except the address ranges the policy identifies
  by address (class devices, KS1 class logons), which are let in without one;
- HTTPS without interception: a CONNECT request names its host, which the helper decides on like any
  other request; a blocked host's CONNECT is refused;
- HTTPS with interception (`intercept`, the directory of the CA made by `schoolgate ca init`): Squid
  peeks at the TLS hello for the site's name, leaves the sites of a `nobump` list (banking, health,
  children's support lines) alone, and opens the rest with certificates it signs with the school's
  CA, so that the helper sees whole URLs: paths are filtered, blocked pages get the block page, and
  safe search is locked on over HTTPS too;
- YouTube's strictness: the helper notes `youtube=strict` or `youtube=moderate` for a YouTube request
  (per the group's `youtube` setting) and Squid adds the `YouTube-Restrict` header accordingly,
  removing any that the browser sent;
- the block page itself is never filtered and needs no login (a pupil blocked from everything must
  still be able to see why);
- Squid's access log, and Schoolgate's activity spool, written by the helper;
- with `agreement` (and logins): Schoolgate's agreement helper as an external ACL, and the agreement
  page (on the block page's host) for a logged-in user who has not accepted this school year's
  agreement (docs/agreement-page.md).

The user name a login gives (Basic here, or NTLM, Kerberos or LDAP set up by the school, see
docs/squid.md) reaches the helper as `%un` in `url_rewrite_extras`, so the policy's user names work with
any of them.

What Squid sends the helper is set here, not left to Squid's defaults: `url_rewrite_extras` is Squid's
default with the user and device names URL-escaped (`%#un`, `%#>A`; Squid 5 writes `%un` as it is, spaces
and all), the external ACL's site name is escaped too (`%#ssl::>sni`: a TLS hello's name is whatever the
client put there), and `uri_whitespace strip` keeps spaces out of URLs. So every field after the URL is
one word of printable ASCII, and the helper, which splits on spaces alone, can tell them apart whatever
the URL holds (see schoolgate.gateways.squid.protocol).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

__all__ = ["Auth", "ConfigError", "SquidSettings", "render"]

# The private address ranges a school's devices use, and loopback.
DEFAULT_NETWORKS = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7", "fe80::/10")
BASIC_AUTH_PROGRAM = "/usr/lib/squid/basic_ncsa_auth"
CERTGEN_PROGRAM = "/usr/lib/squid/security_file_certgen"
DEFAULT_CERT_DB = Path("/var/lib/squid/ssl_db")
# What Squid tells the helper of a request after its URL (url_rewrite) and of a TLS hello (external ACL):
# every field escaped, so one word of printable ASCII (schoolgate.gateways.squid.protocol).
REWRITE_EXTRAS = "%>a/%#>A %#un %>rm myip=%la myport=%lp"
SNI_FORMAT = "%#ssl::>sni %>a %#un %>rm"
# Sites never opened by interception: banks, health services, children's support lines (Schoolgate's
# list, in Squid's format; a school may name its own file instead).
DEFAULT_NOBUMP = Path(__file__).resolve().parent.parent.parent / "data" / "nobump.txt"


class Auth(StrEnum):
    NONE = "none"  # users are identified by address only
    BASIC = "basic"  # a login against Schoolgate's password file


@dataclass(frozen=True, slots=True)
class SquidSettings:
    """Everything the configuration is made from. Paths should be absolute: Squid runs the helper
    from its own working directory."""

    helper: Sequence[str]  # the command that starts `schoolgate squid-helper`, without its options
    policy: Path
    index: Path
    spool: Path | None
    listen: str = "3128"  # "PORT" or "ADDRESS:PORT"
    networks: Sequence[str] = DEFAULT_NETWORKS  # who may use the proxy
    auth: Auth = Auth.NONE
    passwords: Path | None = None  # with Auth.BASIC
    no_login: Sequence[str] = ()  # ranges let in without a login (identified by address)
    realm: str = "School internet access"
    children: int = 8
    concurrency: int = 50
    block_page: str | None = None  # passed to the helper; None: the helper reads the policy's
    block_page_key: Path | None = None  # signs block page addresses (None: unsigned)
    intercept: Path | None = None  # the CA directory (`schoolgate ca init`): HTTPS interception on
    peek: Path | None = None  # the CA directory: no interception, but the TLS hello's name is checked
    nobump: Path = DEFAULT_NOBUMP  # with intercept: sites never opened
    cert_db: Path | None = None  # with intercept: Squid's store of made certificates (default: Debian's)
    trust_ca: Path | None = None  # a CA that Squid also trusts for the sites it connects to
    policy_block_page: str = "http://127.0.0.1:8080/blocked"  # the policy's, for Squid's own refusals
    state_dir: Path | None = None  # logs, pid file, core files; None: Debian's places
    hosts_file: Path | None = None
    effective_user: str = "proxy"
    fragment: bool = False  # only Schoolgate's part, to include in an existing squid.conf
    agreement: bool = False  # with logins: the agreement page before a user's first page each year
    title: str = ""
    comments: Sequence[str] = field(default_factory=tuple)


class ConfigError(ValueError):
    """A setting that would make a broken or unsafe squid.conf."""


def _quote(text: str) -> str:
    """One word of a squid.conf line: Squid splits on white space and has no quoting for commands."""
    if not text or any(ch.isspace() or ch in "\"'#\\" for ch in text):
        raise ConfigError(f"{text!r} cannot go into squid.conf: it is empty or holds spaces or quotes")
    return text


def _comment(text: str) -> str:
    """Text for a comment line: a line break in a school's name must not start a directive."""
    return "".join(ch if ch.isprintable() else " " for ch in text)


def _networks(values: Sequence[str], what: str) -> list[str]:
    out = []
    for value in values:
        try:
            out.append(str(ipaddress.ip_network(value, strict=False)))
        except ValueError:
            raise ConfigError(f"{what}: {value!r} is not an address or range such as 10.0.0.0/8") from None
    return out


def _listen(value: str) -> str:
    host, _, port = value.rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"listen: {value!r} is not PORT or ADDRESS:PORT")
    if host:
        try:
            ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            raise ConfigError(f"listen: {host!r} is not an IP address") from None
    return value


def render(s: SquidSettings) -> str:
    """The configuration text. Raises ConfigError for settings that cannot work."""
    if s.children < 1 or s.concurrency < 1:
        raise ConfigError("children and concurrency must be at least 1")
    if s.auth is Auth.BASIC and s.passwords is None:
        raise ConfigError("a Basic login needs a password file (schoolgate squid passwd FILE USER)")
    networks = _networks(s.networks, "networks")
    no_login = _networks(s.no_login, "no-login ranges")
    helper = " ".join(_quote(word) for word in s.helper)
    helper += f" squid-helper --policy {_quote(str(s.policy))} --index {_quote(str(s.index))}"
    helper += " --concurrency on"
    helper += " --no-spool" if s.spool is None else f" --spool {_quote(str(s.spool))}"
    if s.block_page:
        helper += f" --block-page {_quote(s.block_page)}"
    if s.block_page_key is not None:
        helper += f" --block-page-key {_quote(str(s.block_page_key))}"
    if (s.intercept is not None or s.peek is not None) and s.fragment:
        raise ConfigError("HTTPS interception changes the proxy port: it needs the whole configuration")
    if s.intercept is not None and s.peek is not None:
        raise ConfigError("interception already checks every HTTPS site: give intercept or peek, not both")
    page = s.block_page or s.policy_block_page
    page_host, page_port = _host_and_port(page)
    if s.agreement and s.auth is not Auth.BASIC:
        raise ConfigError("the agreement page asks logged-in users: it needs logins (--auth basic)")
    if s.agreement and (s.spool is None or s.block_page_key is None):
        raise ConfigError("the agreement page needs the spool and the block page key")

    out: list[str] = []
    add = out.append
    add(f"# {_comment(s.title or 'Squid configuration for Schoolgate')}")
    add("# Written by `schoolgate squid config`; write it again rather than editing it by hand.")
    for line in s.comments:
        add(f"# {_comment(line)}")
    add("")
    if not s.fragment:
        add("# --- The proxy port: point browsers and devices at it (by hand, group policy or WPAD).")
        if s.intercept is not None:
            add(_interception(s))
        elif s.peek is not None:
            add(_peeking(s, helper))
        else:
            add(f"http_port {_listen(s.listen)}")
            add("# HTTPS is filtered by site name (CONNECT); pages within a site are not seen.")
        add("")
        if s.state_dir is not None:
            state = s.state_dir
            add("# --- Where Squid keeps its logs and its process id.")
            add(f"pid_filename {_quote(str(state / 'squid.pid'))}")
            add(f"cache_log {_quote(str(state / 'cache.log'))}")
            add(f"coredump_dir {_quote(str(state))}")
            access_log = state / "access.log"
        else:
            access_log = Path("/var/log/squid/access.log")
        add("# Squid's own access log; every decision is also in Schoolgate's activity spool.")
        add(f"access_log stdio:{_quote(str(access_log))} squid")
        add("cache_store_log none")
        add(f"cache_effective_user {_quote(s.effective_user)}")
        add("# Leave a request being served when Squid is asked to stop, but not for long.")
        add("shutdown_lifetime 3 seconds")
        if s.hosts_file is not None:
            add(f"hosts_file {_quote(str(s.hosts_file))}")
        add("")
        add("# --- Ports and methods that may be used (Squid's own defaults).")
        add("acl SSL_ports port 443")
        add("acl Safe_ports port 80 21 443 70 210 280 488 591 777 1025-65535")
        add("acl CONNECT method CONNECT")
        add("")

    add("# --- Who may use the proxy: the school's networks.")
    if networks:
        add(f"acl schoolgate_networks src {' '.join(networks)}")
    add("acl schoolgate_networks src 127.0.0.1/32 ::1")
    add("# The block page: never filtered, no login needed. -n: the address as written is compared, never")
    add("# a name or address looked up for it (a site whose reverse DNS names the block page is no such).")
    kind = "dst" if _is_address(page_host) else "dstdomain"
    add(f"acl schoolgate_block_page {kind} -n {_quote(page_host)}")
    add(f"acl schoolgate_block_page_port port {page_port}")
    if s.auth is Auth.BASIC:
        assert s.passwords is not None
        add("")
        add("# --- Logins: Basic, against the password file kept with `schoolgate squid passwd`.")
        add("# The user name reaches the filter (%un), and the policy's [[identities]] place it in a group;")
        add("# a name the policy does not know gets the default group, the most restrictive.")
        add(f"auth_param basic program {BASIC_AUTH_PROGRAM} {_quote(str(s.passwords))}")
        add("auth_param basic children 5 startup=1 idle=1")
        add(f"auth_param basic realm {s.realm}")
        add("auth_param basic credentialsttl 2 hours")
        add("acl schoolgate_login proxy_auth REQUIRED")
        if no_login:
            add("# Devices identified by address (class devices, KS1 class logons): no login asked.")
            add(f"acl schoolgate_no_login src {' '.join(no_login)}")
    add("")
    add("# --- The filter: Schoolgate's helper decides every request, allowed or sent to the block page.")
    add(f"url_rewrite_program {helper}")
    add("# What the helper is told of each request, after its URL: Squid's default, with the user's and the")
    add("# device's names URL-escaped so that neither can hold a space (the helper splits on spaces).")
    add(f'url_rewrite_extras "{REWRITE_EXTRAS}"')
    add("# Spaces taken out of a requested URL (Squid's default, stated): a URL stays one field.")
    add("uri_whitespace strip")
    add("# One helper starts with Squid, more as traffic needs them (idle=1 keeps one spare), and one that")
    add("# dies is started again. (If every helper dies within 30 s of one starting, Squid stops: its")
    add("# guard against a helper that cannot run at all.)")
    add(f"url_rewrite_children {s.children} startup=1 idle=1 concurrency={s.concurrency}")
    add("# Never let a request through unfiltered when every helper is busy: make it wait.")
    add("url_rewrite_bypass off")
    add("url_rewrite_access deny schoolgate_block_page schoolgate_block_page_port")
    add("url_rewrite_access allow all")
    add("# Every answer of the helper carries the note schoolgate=allow or schoolgate=block. A request")
    add("# without one was never decided (a helper died with it): Squid would let it through, so refuse it.")
    add("acl schoolgate_decided note schoolgate")
    add("adapted_http_access allow schoolgate_block_page schoolgate_block_page_port")
    add("adapted_http_access deny !schoolgate_decided")
    add("adapted_http_access allow all")
    add("# YouTube: the helper notes the group's strictness; the browser's own header is dropped.")
    add("acl schoolgate_youtube_strict note youtube strict")
    add("acl schoolgate_youtube_moderate note youtube moderate")
    add("request_header_access YouTube-Restrict deny all")
    add("request_header_add YouTube-Restrict Strict schoolgate_youtube_strict")
    add("request_header_add YouTube-Restrict Moderate schoolgate_youtube_moderate")
    unanswered = f"{page}{'&' if '?' in page else '?'}reason=filter-unavailable"
    add(f"deny_info {_quote(unanswered).replace('%', '%%')} schoolgate_decided")  # %x is Squid's
    if s.agreement:
        out.extend(_agreement(s, helper, page))
    add("")
    add("# --- Access." + (" Put these lines before your own http_access lines." if s.fragment else ""))
    if not s.fragment:
        add("http_access deny !Safe_ports")
        add("http_access deny CONNECT !SSL_ports")
        add("http_access allow localhost manager")
        add("http_access deny manager")
    add("http_access allow schoolgate_networks schoolgate_block_page schoolgate_block_page_port")
    if s.auth is Auth.BASIC:
        if no_login:
            add("http_access allow schoolgate_networks schoolgate_no_login")
        if s.agreement:
            add("# A logged-in user who has not accepted this school year's agreement: the agreement page.")
            add("http_access deny schoolgate_networks schoolgate_login !schoolgate_agreed")
        add("http_access allow schoolgate_networks schoolgate_login")
    else:
        add("http_access allow schoolgate_networks")
    if not s.fragment:
        add("http_access deny all")
        add("")
        add("# --- No disk cache by default; add a cache_dir if the school wants one.")
        add("cache_mem 64 MB")
    add("")
    return "\n".join(out)


def _host_and_port(url: str) -> tuple[str, int]:
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        host = port = None
    if not host or parts.scheme not in ("http", "https"):
        raise ConfigError(f"block page: {url!r} is not an http:// or https:// address")
    return host, port or (443 if parts.scheme == "https" else 80)


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _interception(s: SquidSettings) -> str:
    """The proxy port with interception, and what it needs."""
    assert s.intercept is not None
    cert, key = s.intercept / "ca.pem", s.intercept / "ca.key"
    lines = [
        "# HTTPS interception: Squid opens HTTPS connections with certificates it makes for each site",
        "# and signs with the school's CA (schoolgate ca init; devices must trust ca.pem / ca.der).",
        f"http_port {_listen(s.listen)} ssl-bump tls-cert={_quote(str(cert))} tls-key={_quote(str(key))}"
        " generate-host-certificates=on dynamic_cert_mem_cache_size=16MB",
        *_certificate_store(s),
        "# Look at the TLS hello for the site's name; leave the nobump sites closed; open the rest. A",
        "# site is left closed only when both the CONNECT and the hello name it: a CONNECT to a bare",
        "# address with a nobump name in its hello is opened like any other.",
        "acl schoolgate_tls_hello at_step SslBump1",
        f'acl schoolgate_nobump ssl::server_name "{_quote(str(s.nobump))}"',
        f'acl schoolgate_nobump_target dstdomain -n "{_quote(str(s.nobump))}"',
        "ssl_bump peek schoolgate_tls_hello",
        "ssl_bump splice schoolgate_nobump schoolgate_nobump_target",
        "ssl_bump bump all",
    ]
    if s.trust_ca is not None:
        lines.append("# Sites whose certificates the school's own CA signed are trusted as well.")
        lines.append(f"tls_outgoing_options cafile={_quote(str(s.trust_ca))}")
    return "\n".join(lines)


def _peeking(s: SquidSettings, helper: str) -> str:
    """The proxy port without interception, but with the site name of the TLS hello (SNI) checked."""
    assert s.peek is not None
    cert, key = s.peek / "ca.pem", s.peek / "ca.key"
    checker = helper.replace(" --concurrency on", " --mode acl --concurrency on", 1)
    return "\n".join(
        [
            "# HTTPS without interception, but Squid reads the site's name at the start of each HTTPS",
            "# connection (SNI) and the helper decides on it too, as well as on the CONNECT: a browser's",
            "# CONNECT to a bare address is judged by the name it sends. (A program that sends one name",
            "# and connects to another site's address is not caught by names; that needs interception.)",
            "# Squid needs a certificate to read the hello; it shows it to nobody.",
            f"http_port {_listen(s.listen)} ssl-bump tls-cert={_quote(str(cert))} tls-key={_quote(str(key))}",
            *_certificate_store(s),
            f"external_acl_type schoolgate_sni children-max={s.children} children-startup=1 "
            f"concurrency={s.concurrency} ttl=60 negative_ttl=60 {SNI_FORMAT} {checker}",
            "acl schoolgate_tls_hello at_step SslBump1",
            "acl schoolgate_sni_allowed external schoolgate_sni",
            "ssl_bump peek schoolgate_tls_hello",
            "ssl_bump splice schoolgate_sni_allowed",
            "ssl_bump terminate all",
        ]
    )


def _agreement(s: SquidSettings, helper: str, page: str) -> list[str]:
    """The agreement helper, its ACL and the page a user who has not accepted is sent to."""
    assert s.spool is not None and s.block_page_key is not None
    program = helper.split(" squid-helper ", 1)[0]
    agreements = s.policy.with_name(f"{s.policy.stem}-agreements.json")
    command = (
        f"{program} squid-agreement --agreements {_quote(str(agreements))} --spool {_quote(str(s.spool))}"
        f" --block-page-key {_quote(str(s.block_page_key))} --concurrency on"
    )
    parts = urlsplit(page)
    target = f"{parts.scheme}://{parts.netloc}/agreement?t=%o&u=%u"
    return [
        "",
        "# --- The agreement: a user who has not accepted this school year's agreement is shown it once,",
        "# before their first page. Schoolgate's helper answers from the file the web application writes",
        "# (ttl: an answer is kept a minute; negative_ttl=0: the request after accepting is asked again).",
        f"external_acl_type schoolgate_agreement children-max={min(s.children, 4)} children-startup=1 "
        f"concurrency={s.concurrency} ttl=60 negative_ttl=0 %#un {command}",
        "acl schoolgate_agreed external schoolgate_agreement",
        "# %o: the helper's signed token naming the user; %u: the address asked for (both escaped).",
        f"deny_info {_quote(target)} schoolgate_agreed",
    ]


def _certificate_store(s: SquidSettings) -> list[str]:
    """Squid's helper that makes and keeps certificates: any ssl-bump port starts it."""
    if s.cert_db is not None:
        db = s.cert_db
    elif s.state_dir is not None:
        db = s.state_dir / "ssl_db"
    else:
        db = DEFAULT_CERT_DB
    return [
        "# Squid keeps the certificates it makes here; make the store once, as root:",
        f"#   {CERTGEN_PROGRAM} -c -s {db} -M 16MB && chown -R {s.effective_user}: {db}",
        f"sslcrtd_program {CERTGEN_PROGRAM} -s {_quote(str(db))} -M 16MB",
        "sslcrtd_children 5 startup=1 idle=1",
    ]

"""What a school's policy starts with: the lists and categories of examples/policy.toml (the UT1 sample,
the locked IWF and terrorism lists and their categories, the UT1 categories mapped onto the UKSIC ones)
and the group `default` for anyone the filter cannot identify.

Kept here rather than read from examples/ (which is not installed with the package);
tests/web/policy/test_seed.py checks that they still match the example file.
"""

from __future__ import annotations

from typing import Any

LISTS: tuple[dict[str, Any], ...] = (
    {"name": "ut1", "format": "squidguard", "path": "builtin:ut1-sample"},
    {
        "name": "iwf",
        "format": "domains",
        "path": "lists/iwf-test.txt",
        "locked": True,
        "description": "Internet Watch Foundation child sexual abuse list (test stand-in)",
    },
    {
        "name": "terrorism",
        "format": "domains",
        "path": "lists/terrorism-test.txt",
        "locked": True,
        "description": "Police-assessed unlawful terrorist content (test stand-in)",
    },
)

CATEGORIES: tuple[dict[str, Any], ...] = (
    {"name": "child-abuse", "sources": ["iwf"], "uksic": "illegal", "locked": True},
    {"name": "terrorism", "sources": ["terrorism"], "uksic": "extremism", "locked": True},
    {
        "name": "malware-hacking",
        "sources": [
            "ut1/malware",
            "ut1/phishing",
            "ut1/hacking",
            "ut1/cryptojacking",
            "ut1/ddos",
            "ut1/stalkerware",
        ],
        "uksic": "malware-hacking",
    },
    {"name": "piracy", "sources": ["ut1/warez"], "uksic": "piracy"},
    {"name": "pornography", "sources": ["ut1/adult", "ut1/mixed_adult"], "uksic": "pornography"},
    {
        "name": "hate",
        "sources": ["ut1/agressif"],
        "uksic": "hate-speech",
        "description": "Racist, antisemitic and hateful sites: promotion of discrimination",
    },
    {
        "name": "violence",
        "sources": ["ut1/dangerous_material"],
        "uksic": "violence",
        "description": "Weapons and dangerous material: threatening behaviour and physical harm",
    },
    {"name": "drugs", "sources": ["ut1/drogue"], "uksic": "drugs"},
    {"name": "gambling", "sources": ["ut1/gambling", "ut1/arjel"], "uksic": "gambling"},
    {"name": "misinformation", "sources": ["ut1/fakenews"], "uksic": "misinformation"},
    {
        "name": "circumvention",
        "sources": ["ut1/vpn", "ut1/redirector", "ut1/doh", "ut1/residential-proxies"],
        "description": "VPNs, web proxies and DNS-over-HTTPS: ways round the filter",
    },
    {"name": "adult-themes", "sources": ["ut1/dating", "ut1/lingerie", "ut1/sect"]},
    {
        "name": "large-downloads",
        "sources": ["ut1/download", "ut1/filehosting"],
        "description": "Unfair usage: downloading or uploading large files",
    },
    {"name": "educational-games", "sources": ["ut1/educational_games"]},
    {"name": "games", "sources": ["ut1/games"]},
    {"name": "shopping", "sources": ["ut1/shopping"]},
    {"name": "social-media", "sources": ["ut1/social_networks", "ut1/blog"]},
    {"name": "messaging", "sources": ["ut1/chat", "ut1/webmail"]},
    {"name": "video", "sources": ["ut1/audio-video"], "description": "Video broadcasting, e.g. YouTube"},
)

DEFAULT_GROUP: dict[str, Any] = {
    "name": "default",
    "description": "Anyone the filter cannot identify",
    "default": "block",
    "safe_search": True,
    "youtube": "strict",
}

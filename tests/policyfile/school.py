"""A small school for the tests of the policy snapshot and of those who hold one: a policy file, one
list beside it, and its compiled index."""

from __future__ import annotations

from pathlib import Path

from schoolgate.lists.compile import compile_lists
from schoolgate.policyfile.load import load_policy
from tests.school import write_lists

POLICY = """\
schema_version = 1

[school]
block_page = "http://filter.school.example/blocked"

[lists.x]
format = "squidguard"
path = "lists"

[groups.pupils]
default = "allow"

[groups.default]
default = "block"

[categories.gambling]
sources = ["x/gambling"]

[[rules]]
name = "no gambling"
categories = ["gambling"]
action = "block"
"""


def compiled_school(root: Path) -> Path:
    """`root` with policy.toml, lists/gambling and lists.sgidx compiled from them."""
    write_lists(root / "lists", {"gambling": "bet365.com\n"})
    (root / "policy.toml").write_text(POLICY)
    compile_lists(load_policy(root / "policy.toml").lists, root / "lists.sgidx", progress=False)
    return root

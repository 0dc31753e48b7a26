"""Gateways keep freed memory for the next batch instead of handing it back to the system."""

from __future__ import annotations

import subprocess
import sys


def test_glibc_agrees_to_keep_freed_buffers() -> None:
    # In a child process: the setting lasts for the life of the process that makes it.
    code = "from schoolgate.gateways.memory import keep_freed_memory; print(keep_freed_memory())"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "True"


def test_freed_buffers_are_reused_without_new_page_faults() -> None:
    """A batch's buffers (its text, its events, their bytes; sizes vary) made and freed 500 times are
    faulted in about once, not once per batch."""
    code = """
import resource, sys
from schoolgate.gateways.memory import keep_freed_memory
keep_freed_memory()
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
before = faults()
for i in range(500):
    text = "x" * (150_000 + (i % 7) * 10_000)
    events = "y" * (180_000 + (i % 5) * 20_000)
    data = events.encode()
    del text, events, data
print(faults() - before)
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # 500 batches of about 500 KB: faulting them in each time would be over 60,000 faults.
    assert int(result.stdout) < 500

"""Schoolgate: an online-safety platform for schools: filtering, monitoring, alerts, the safety log."""

__version__ = "0.1.0"

"""Trusts and schools: every record belongs to a school, and nobody sees another school's records."""

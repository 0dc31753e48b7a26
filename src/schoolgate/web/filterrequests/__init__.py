"""Filter change requests: every way a change to the filtering is asked for, decided and written."""

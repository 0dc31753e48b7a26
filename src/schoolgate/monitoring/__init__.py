"""The pure monitoring core: search terms, risk phrases and alert rules; no Django, no I/O, no clock."""

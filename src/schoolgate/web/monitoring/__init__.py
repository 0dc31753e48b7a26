"""Monitoring in the web application: what the worker stores from the gateways' spools, the alerts it
raises, and the pages of the people who act on them."""

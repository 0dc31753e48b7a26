"""The activity event's one home: its schema (`schema`), the spool that gateways write it to and the
readers of it (`spool`), and the block page's review requests (`reviews`).

The contract between the gateways and everything downstream (the ingester, the monitoring). It sits
below the gateways and the block page and above the engine: it imports neither gateways, block page,
web nor CLI.
"""

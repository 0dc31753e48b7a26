"""The policy editor: filter groups and who is in them, time windows and term dates, categories, list
sources, site lists and the ordered rules, kept per school; rendered into the policy file of
docs/policy-file.md, checked with Schoolgate's own loader, and published as the snapshot the gateways
read. "Test a URL" explains how the running (and the draft) policy decides a request."""

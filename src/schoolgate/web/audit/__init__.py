"""The audit trail: every change to every record, who made it, when, and what it was before and after.

Append-only and hash-chained: each entry's hash covers its own fields and the previous entry's hash,
so that changing, removing or reordering a stored entry breaks the chain at that entry;
`schoolgate audit verify` walks the chain and names the first broken link.
"""

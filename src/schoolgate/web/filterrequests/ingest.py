"""Pupils' requests from the block page become filter change requests, as the worker stores them.

The block page writes a pupil's "ask for a review", and their report that a site should be blocked,
to its spool (`schoolgate.activity.reviews`); the worker's ingester stores each line as a
`monitoring.ReviewRequest` (what was sent, as it was sent) and, in the same transaction, hands the rows
to `from_reviews`, which makes each a `FilterRequest` through the requests' own action (`do_ask`, as a
member of staff's request is made: numbered, with the running policy's decision at the time):

- a review: kind REVIEW, source BLOCK_PAGE, for the pupil the signed block page named (their
  `Person`, when the filter knows them; else the user name or address as signed), the message as why;
- a report: kind BLOCK, source REPORT_LINK, for everyone (the decider narrows it), asked by who was
  blocked on the page it was made from, or by the address it came from.

A request `do_ask` refuses (a locked-list site, which can never be requested: "illegal content can
never be requested") is left as the review request alone, which the monitoring pages still show; it is
said on the log, without the pupil or the site. A request that fails for any other reason is rolled
back to its savepoint and logged, and never stops the batch: the spool must go on being read. The
pupils' status file (`status.publish`) is written once the batch commits (`do_ask` asks for it).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, transaction

from schoolgate.web.filterrequests.actions import do_ask
from schoolgate.web.filterrequests.choices import Audience, RequestKind, RequestSource
from schoolgate.web.filterrequests.models import FilterRequest
from schoolgate.web.monitoring.choices import ReviewKind
from schoolgate.web.monitoring.models import ReviewRequest

__all__ = ["from_review", "from_reviews"]

log = logging.getLogger("schoolgate.filterrequests")


def from_review(review: ReviewRequest) -> FilterRequest | None:
    """The filter change request for one stored review request (or report), made in a savepoint of the
    caller's transaction; None when it cannot be one (said on the log)."""
    report = review.kind == ReviewKind.REPORT
    try:
        with transaction.atomic():
            return do_ask(
                review.school,
                actor=None,
                kind=RequestKind.BLOCK if report else RequestKind.REVIEW,
                source=RequestSource.REPORT_LINK if report else RequestSource.BLOCK_PAGE,
                url=review.url or review.site,
                audience=Audience.EVERYONE if report else Audience.PERSON,
                person=None if report else review.person,
                reason=review.message,
                asked_by_person=review.person,
                asked_by_name=review.who or review.ip,
                review=review,
                at=review.received_at,
            )
    except (ValidationError, PermissionDenied) as exc:
        words = "; ".join(getattr(exc, "messages", None) or [str(exc)])
        log.info("review request %s is not made a filter change request: %s", review.pk, words)
    except (OperationalError, InterfaceError, IntegrityError):
        # The database cannot be reached (the worker waits), or another worker numbered a request
        # first (the ingester reads the batch again): the batch is rolled back whole, as for its rows.
        raise
    except (DatabaseError, ValueError, LookupError, OSError):
        log.exception("review request %s could not be made a filter change request", review.pk)
    return None


def from_reviews(reviews: Iterable[ReviewRequest]) -> list[FilterRequest]:
    """`from_review` for each row just stored (`bulk_create`), in order. (`do_ask` writes the pupils'
    status file again once the caller's transaction commits.)"""
    made: list[FilterRequest] = []
    for review in reviews:
        if review.pk is None:  # a database that does not return the keys of rows inserted in bulk
            review = ReviewRequest.objects.get(spool_file_id=review.spool_file_id, offset=review.offset)
        request = from_review(review)
        if request is not None:
            made.append(request)
    return made

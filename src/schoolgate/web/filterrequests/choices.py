"""The fixed choices of filter change requests, with the words the pages show for them."""

from __future__ import annotations

from django.db import models


class RequestKind(models.TextChoices):
    """What is asked for."""

    REVIEW = "review", "A pupil asked for a blocked site to be looked at again"
    UNBLOCK = "unblock", "Unblock a site for a lesson or a time"
    BLOCK = "block", "Block a site that is open"
    CHANGE = "change", "Allow a site from now on"


class RequestSource(models.TextChoices):
    """Where the request was made."""

    BLOCK_PAGE = "block-page", "The block page (review)"
    REPORT_LINK = "report-link", "The block page's reporting link"
    STAFF_BLOCK_PAGE = "staff-block-page", "The block page, by a member of staff"
    TEST_URL = "test-url", "Test a URL"
    REQUEST_PAGE = "request-page", "Request a site"
    TEACHER = "teacher", "A teacher's own lesson unblock"


class RequestState(models.TextChoices):
    NEW = "new", "Waiting for a decision"
    MORE = "more", "More information asked for"
    APPROVED = "approved", "Approved"
    REFUSED = "refused", "Refused"
    WITHDRAWN = "withdrawn", "Withdrawn"


# States in which the request still waits for someone.
OPEN_STATES = (RequestState.NEW, RequestState.MORE)


class Audience(models.TextChoices):
    """For whom a change is asked or granted: the narrowest that does the job."""

    PERSON = "person", "One person"
    CLASS = "class", "A class"
    GROUP = "group", "A filter group"
    EVERYONE = "everyone", "Everyone"


class Duration(models.TextChoices):
    """For how long a change is asked."""

    LESSON = "lesson", "One lesson (an hour)"
    TODAY = "today", "Until the end of today"
    UNTIL = "until", "Until a date"
    PERMANENT = "permanent", "From now on"


class NoteKind(models.TextChoices):
    QUESTION = "question", "Asked for more information"
    ANSWER = "answer", "Answered"
    COMMENT = "comment", "Comment"


class Approvers(models.TextChoices):
    """Who may approve a kind of request (the school chooses)."""

    COORDINATOR = "coordinator", "The online safety coordinator"
    NETWORK_MANAGER = "network-manager", "The network manager"
    EITHER = "either", "The online safety coordinator or the network manager"

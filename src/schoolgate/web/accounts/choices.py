"""Roles, what each role may do, and who may give each role. Capabilities are checked in the querysets
(`restrict`), so a page that forgets to check still shows nothing it should not; who may give which
role is checked in the actions (`accounts.grants`), so a page or command that forgets still changes
nothing it should not."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    DSL = "dsl", "Designated Safeguarding Lead"
    DEPUTY_DSL = "deputy-dsl", "Deputy DSL"
    ONLINE_SAFETY_COORDINATOR = "online-safety", "Online safety coordinator"
    NETWORK_MANAGER = "network-manager", "Network manager / IT support"
    HEADTEACHER = "headteacher", "Headteacher"
    SLT = "slt", "Senior leadership team"
    TEACHER = "teacher", "Teacher"
    GOVERNOR = "governor", "Governor"
    CHAIR_OF_GOVERNORS = "chair-of-governors", "Chair of governors"
    # The governor the policies name for online safety: reads the filter's change-control log and signs
    # the annual review of filtering and monitoring with the headteacher and the DSL.
    ONLINE_SAFETY_GOVERNOR = "online-safety-governor", "Online safety governor"
    # The school office: visitors' and supply staff's logins, photo consent, records of training.
    OFFICE = "office", "School office"


class Capability(models.TextChoices):
    PEOPLE_VIEW = "people.view", "see pupils, staff and parents"
    PEOPLE_CHANGE = "people.change", "add and change people, import from the MIS"
    IDENTITIES_CHANGE = "identities.change", "change network identities (user names, devices, address ranges)"
    POLICY_VIEW = "policy.view", "see the filtering policy"
    POLICY_CHANGE = "policy.change", "edit and publish the filtering policy"
    URL_TEST = "policy.test", "test how the filter decides a URL"
    AUDIT_VIEW = "audit.view", "read the audit trail"
    ACCOUNTS_MANAGE = "accounts.manage", "give staff logins, and the roles your own role may give"
    INCIDENT_REPORT = "incidents.report", "report a concern, and see the concerns you reported"
    INCIDENT_MANAGE = "incidents.manage", "see and deal with every pupil incident (the DSL team)"
    INCIDENT_RESTRICTED = "incidents.restricted", "see and deal with restricted pupil incidents"
    ALLEGATIONS = "incidents.allegations", "see and deal with concerns about members of staff"
    ALLEGATIONS_HEAD = "incidents.allegations-head", "see and deal with concerns about the headteacher"
    SANCTIONS_CHANGE = "incidents.sanctions", "change the sanctions matrix"
    GOVERNORS_REPORT = "reports.governors", "read the governors' report (anonymised)"
    SCHOOLS_ADD = "tenancy.add-school", "add a school to the trust, with its first login"
    # Monitoring. Alerts follow the incident capabilities: about pupils (and unidentified users) for
    # INCIDENT_MANAGE, about staff for ALLEGATIONS, about the headteacher for ALLEGATIONS_HEAD.
    ACTIVITY_VIEW = "monitoring.activity", "read the activity log (searches, blocks, sites visited)"
    PHRASES_CHANGE = "monitoring.phrases", "add, remove and re-grade the school's risk phrases"
    REVIEWS_VIEW = "monitoring.reviews", "see pupils' requests for a blocked site to be looked at again"
    MONITORING_SETTINGS = "monitoring.settings", "choose where alerts go and when the weekly report is sent"
    LOCKED_EVIDENCE = (
        "monitoring.locked-evidence",
        "see the address of an attempt on illegal content (evidence for the police)",
    )
    # Filter change requests and the self-test. Every member of staff may ask (and sees their own);
    # who may decide which kind is the school's choice among the holders of REQUESTS_DECIDE
    # (filterrequests.RequestSettings).
    REQUESTS_ASK = "requests.ask", "ask for a site to be unblocked or blocked, and see your own requests"
    REQUESTS_VIEW = "requests.view", "see every filter change request and its decision"
    REQUESTS_DECIDE = "requests.decide", "approve or refuse filter change requests"
    REQUESTS_SETTINGS = "requests.settings", "choose who may approve requests, and teachers' lesson unblocks"
    SELFTEST_VIEW = "selftest.view", "see the filtering self-test's runs and results"
    SELFTEST_RUN = "selftest.run", "run the filtering self-test and choose what it checks"
    # The school's other records (issue 17).
    AGREEMENTS_VIEW = "agreements.view", "see who has accepted the acceptable-use agreements"
    AGREEMENTS_RECORD = "agreements.record", "record an agreement signed on paper or by a parent"
    AGREEMENTS_CHANGE = "agreements.change", "write the acceptable-use agreements and their new versions"
    CONSENT_VIEW = "consent.view", "see photo and video consent, and check a photo before publishing"
    CONSENT_CHANGE = "consent.change", "record photo and video consent, and send parents their links"
    DEVICES_VIEW = "devices.view", "see the device register and loans"
    DEVICES_CHANGE = "devices.change", "add and change devices, loans and the personal devices allowed"
    BYOD_CHANGE = "devices.byod", "change which personal devices are allowed, and how (the BYOD table)"
    BYOD_APPROVE_SLT = "devices.approve-slt", "approve a personal device where the table asks for SLT"
    BYOD_APPROVE_NM = "devices.approve-nm", "approve a personal device where the table asks for IT"
    GUEST_LOGINS = "devices.guests", "give visitors, supply staff and community users a proxy login"
    TRAINING_VIEW = "training.view", "see everyone's training, and who is due or overdue"
    TRAINING_CHANGE = "training.change", "record training attended, and the courses and when they are due"
    TRAINING_SELF = "training.self", "see your own training, and fill in the training needs questions"
    REVIEW_VIEW = "review.view", "read the annual review of filtering and monitoring"
    REVIEW_CHANGE = "review.change", "write the annual review: its checklist, evidence and actions"
    REVIEW_SIGN = "review.sign", "sign the annual review off (headteacher, DSL, online safety governor)"
    CHANGELOG_VIEW = "policy.changelog", "read the filter's change-control log"


# Who may give (and take away) each role, through the pages. Nobody gives or takes their own roles.
# The headteacher and the chair of governors are given by nobody here: concerns about the headteacher go
# to the chair, so neither may be in the headteacher's gift; the server's operator gives them
# (`schoolgate web manage give_role`), named in the audit trail.
GIVEN_BY: dict[Role, frozenset[Role]] = {
    Role.DSL: frozenset({Role.HEADTEACHER, Role.DSL}),
    Role.DEPUTY_DSL: frozenset({Role.HEADTEACHER, Role.DSL}),
    Role.ONLINE_SAFETY_COORDINATOR: frozenset({Role.HEADTEACHER, Role.DSL}),
    Role.TEACHER: frozenset({Role.HEADTEACHER, Role.NETWORK_MANAGER}),
    Role.NETWORK_MANAGER: frozenset({Role.HEADTEACHER, Role.NETWORK_MANAGER}),
    Role.SLT: frozenset({Role.HEADTEACHER}),
    Role.GOVERNOR: frozenset({Role.HEADTEACHER}),
    Role.HEADTEACHER: frozenset(),
    Role.CHAIR_OF_GOVERNORS: frozenset(),
    Role.ONLINE_SAFETY_GOVERNOR: frozenset({Role.HEADTEACHER}),
    Role.OFFICE: frozenset({Role.HEADTEACHER, Role.NETWORK_MANAGER}),
}
# The roles that may give some role: they, and only they, open the staff logins pages.
_GIVERS = frozenset(giver for givers in GIVEN_BY.values() for giver in givers)

_ALL_STAFF_VIEWS = {
    Capability.PEOPLE_VIEW,
    Capability.URL_TEST,
    Capability.INCIDENT_REPORT,
    Capability.REQUESTS_ASK,
    # The school's other records: every member of staff sees who has signed and who must not be
    # photographed, records a paper sign sheet, and fills in their own training needs.
    Capability.AGREEMENTS_VIEW,
    Capability.AGREEMENTS_RECORD,
    Capability.CONSENT_VIEW,
    Capability.TRAINING_SELF,
}
_SAFEGUARDING = _ALL_STAFF_VIEWS | {Capability.PEOPLE_CHANGE, Capability.POLICY_VIEW, Capability.AUDIT_VIEW}
# The DSL team: every pupil incident, restricted ones too, the matrix and the governors' report.
_DSL_TEAM = _SAFEGUARDING | {
    Capability.INCIDENT_MANAGE,
    Capability.INCIDENT_RESTRICTED,
    Capability.SANCTIONS_CHANGE,
    Capability.GOVERNORS_REPORT,
    Capability.REQUESTS_VIEW,
    Capability.SELFTEST_VIEW,
    Capability.AGREEMENTS_CHANGE,
    Capability.CONSENT_CHANGE,
    Capability.DEVICES_VIEW,
    Capability.TRAINING_VIEW,
    Capability.TRAINING_CHANGE,
    Capability.REVIEW_VIEW,
    Capability.REVIEW_CHANGE,
}

_CAPABILITIES: dict[Role, frozenset[Capability]] = {
    # The address of an attempt on a locked list (illegal content) is evidence for the police: the DSL
    # alone sees it. The DSL chooses where alerts go and when the weekly report is sent.
    Role.DSL: frozenset(
        _DSL_TEAM
        | {Capability.ACTIVITY_VIEW, Capability.PHRASES_CHANGE}
        | {Capability.MONITORING_SETTINGS, Capability.LOCKED_EVIDENCE, Capability.REVIEW_SIGN}
    ),
    Role.DEPUTY_DSL: frozenset(_DSL_TEAM | {Capability.ACTIVITY_VIEW, Capability.PHRASES_CHANGE}),
    # Keeps the log of online safety incidents (the policy's coordinator), but not the restricted ones.
    Role.ONLINE_SAFETY_COORDINATOR: frozenset(
        _ALL_STAFF_VIEWS
        | {Capability.POLICY_VIEW, Capability.INCIDENT_MANAGE, Capability.GOVERNORS_REPORT}
        | {Capability.REVIEWS_VIEW, Capability.REQUESTS_VIEW, Capability.REQUESTS_DECIDE}
        | {Capability.REQUESTS_SETTINGS, Capability.SELFTEST_VIEW, Capability.SELFTEST_RUN}
        | {Capability.AGREEMENTS_CHANGE, Capability.CONSENT_CHANGE, Capability.DEVICES_VIEW}
        | {Capability.TRAINING_VIEW, Capability.TRAINING_CHANGE, Capability.REVIEW_VIEW}
        | {Capability.REVIEW_CHANGE, Capability.CHANGELOG_VIEW}
    ),
    Role.NETWORK_MANAGER: frozenset(
        _ALL_STAFF_VIEWS
        | {
            Capability.PEOPLE_CHANGE,
            Capability.IDENTITIES_CHANGE,
            Capability.POLICY_VIEW,
            Capability.POLICY_CHANGE,
            # The activity log of pupils and unidentified users, to see why a site was blocked; staff
            # activity stays with the headteacher (ALLEGATIONS).
            Capability.ACTIVITY_VIEW,
            Capability.REVIEWS_VIEW,
            Capability.REQUESTS_VIEW,
            Capability.REQUESTS_DECIDE,
            Capability.SELFTEST_VIEW,
            Capability.SELFTEST_RUN,
            Capability.DEVICES_VIEW,
            Capability.DEVICES_CHANGE,
            Capability.BYOD_CHANGE,
            Capability.BYOD_APPROVE_NM,
            Capability.GUEST_LOGINS,
            Capability.REVIEW_VIEW,
            Capability.REVIEW_CHANGE,
            Capability.CHANGELOG_VIEW,
        }
    ),
    # Concerns about staff go to the headteacher alone; concerns about the headteacher to the chair.
    Role.HEADTEACHER: frozenset(
        _SAFEGUARDING
        | {
            Capability.ALLEGATIONS,
            Capability.SANCTIONS_CHANGE,
            Capability.GOVERNORS_REPORT,
            # Roles are per school; the headteacher (given only by the operator) speaks for the school
            # in its trust: `tenancy.setup` lets them add a school to their own school's trust.
            Capability.SCHOOLS_ADD,
            Capability.ACTIVITY_VIEW,
            Capability.MONITORING_SETTINGS,
            Capability.REQUESTS_VIEW,
            Capability.REQUESTS_SETTINGS,
            Capability.SELFTEST_VIEW,
            Capability.AGREEMENTS_CHANGE,
            Capability.CONSENT_CHANGE,
            Capability.DEVICES_VIEW,
            Capability.BYOD_CHANGE,
            Capability.BYOD_APPROVE_SLT,
            Capability.TRAINING_VIEW,
            Capability.TRAINING_CHANGE,
            Capability.REVIEW_VIEW,
            Capability.REVIEW_CHANGE,
            Capability.REVIEW_SIGN,
            Capability.CHANGELOG_VIEW,
        }
    ),
    # Not every request: a pupil's review names the pupil and what they wrote (REVIEWS_VIEW's).
    Role.SLT: frozenset(
        _ALL_STAFF_VIEWS
        | {Capability.POLICY_VIEW, Capability.GOVERNORS_REPORT}
        | {Capability.DEVICES_VIEW, Capability.BYOD_APPROVE_SLT, Capability.TRAINING_VIEW}
        | {Capability.REVIEW_VIEW}
    ),
    Role.TEACHER: frozenset(_ALL_STAFF_VIEWS),
    Role.GOVERNOR: frozenset({Capability.GOVERNORS_REPORT, Capability.TRAINING_SELF, Capability.REVIEW_VIEW}),
    Role.CHAIR_OF_GOVERNORS: frozenset(
        {Capability.GOVERNORS_REPORT, Capability.ALLEGATIONS_HEAD, Capability.TRAINING_SELF}
        | {Capability.REVIEW_VIEW}
    ),
    Role.ONLINE_SAFETY_GOVERNOR: frozenset(
        {Capability.GOVERNORS_REPORT, Capability.TRAINING_SELF, Capability.REVIEW_VIEW}
        | {Capability.REVIEW_SIGN, Capability.CHANGELOG_VIEW}
    ),
    Role.OFFICE: frozenset(
        _ALL_STAFF_VIEWS
        | {Capability.PEOPLE_CHANGE, Capability.CONSENT_CHANGE, Capability.DEVICES_VIEW}
        | {Capability.DEVICES_CHANGE, Capability.GUEST_LOGINS, Capability.TRAINING_VIEW}
        | {Capability.TRAINING_CHANGE}
    ),
}
CAPABILITIES: dict[Role, frozenset[Capability]] = {
    role: caps | {Capability.ACCOUNTS_MANAGE} if role in _GIVERS else caps
    for role, caps in _CAPABILITIES.items()
}

# The capabilities that open records of concerns, about pupils or about staff.
OPENS_CONCERNS = frozenset(
    {
        Capability.INCIDENT_MANAGE,
        Capability.INCIDENT_RESTRICTED,
        Capability.ALLEGATIONS,
        Capability.ALLEGATIONS_HEAD,
    }
)
# Every change to these is shown to the school's DSLs and chair of governors (home page and e-mail), and
# none is given to a login whose one-time password someone else knows. Read from the capabilities, not
# listed, so that no role which opens records of concerns, now or later, can be given quietly.
SAFEGUARDING_ROLES = frozenset(role for role, caps in CAPABILITIES.items() if caps & OPENS_CONCERNS)

"""Training: its place in the menu and its sections."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.core.nav import NavApp, NavItem

if TYPE_CHECKING:
    from schoolgate.web.accounts.models import User
    from schoolgate.web.tenancy.models import School

VIEW = Capability.TRAINING_VIEW
SELF = Capability.TRAINING_SELF


def _self_only(user: User, school: School) -> bool:
    """The menu's "My training" for those who do not see everyone's."""
    return not user.can(VIEW, school)


class TrainingConfig(NavApp):
    name = "schoolgate.web.training"
    label = "training"
    verbose_name = "Training"

    menu: ClassVar[tuple[NavItem, ...]] = (
        NavItem("Training", "training:matrix", VIEW, pages=("training:",), order=50),
        NavItem("My training", "training:mine", SELF, shown=_self_only, pages=("training:",), order=50),
    )
    sections_label = "Training"
    sections: ClassVar[tuple[NavItem, ...]] = (
        NavItem("Who is due", "training:matrix", VIEW, pages=("training:matrix", "training:person",
                "training:attendance")),
        NavItem("Record training", "training:record", Capability.TRAINING_CHANGE),
        NavItem("Courses", "training:courses", VIEW, pages=("training:course",)),
        NavItem("Training needs", "training:needs-summary", VIEW),
        NavItem("My training", "training:mine", SELF, pages=("training:mine", "training:needs")),
    )  # fmt: skip

    def can(self, user: User, school: School) -> dict[str, bool]:
        return {"change": user.can(Capability.TRAINING_CHANGE, school), "view": user.can(VIEW, school)}

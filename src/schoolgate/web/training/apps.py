"""Training: its place in the menu and its sections."""

from __future__ import annotations

from typing import ClassVar

from schoolgate.web.core.nav import NavApp, NavItem


class TrainingConfig(NavApp):
    name = "schoolgate.web.training"
    label = "training"
    verbose_name = "Training"

    menu: ClassVar[tuple[NavItem, ...]] = ()
    sections_label = "Training"
    sections: ClassVar[tuple[NavItem, ...]] = ()

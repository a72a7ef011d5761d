"""What a group grants, one screen a module: the Access editor (visibility
ticks and per-category discounts), Explain, the rules editor and the outbox."""

from backroom.screens.grants.access import (
    AccessEditor,
    AccessScreen,
    Grants,
    read_grants,
)
from backroom.screens.grants.explain import ExplainScreen
from backroom.screens.grants.outbox import OutboxScreen
from backroom.screens.grants.rules import RulesScreen

__all__ = ["AccessEditor", "AccessScreen", "ExplainScreen", "Grants", "OutboxScreen", "RulesScreen", "read_grants"]

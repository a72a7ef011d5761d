"""Review moderation: built in a later issue; for now a placeholder."""

from __future__ import annotations

from screens.placeholder import PlaceholderScreen


class ReviewsScreen(PlaceholderScreen):
    TITLE = "Reviews"
    AREA = "Reviews"
    MESSAGE = "Review moderation comes in a later issue."

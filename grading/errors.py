"""The one error the grading engine raises for bad input."""

from __future__ import annotations


class InputError(ValueError):
    """An input key or value the rules cannot grade.

    `key` is the RULES §6 key (dotted for nested objects, e.g. ``capd_items.restless``);
    ``str(error)`` names the key and what is wrong with it.
    """

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        self.message = message
        super().__init__(f"{key}: {message}")

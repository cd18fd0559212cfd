"""Domain errors raised by actions. The API and the views turn them into 409/400 answers."""

from __future__ import annotations


class RuleViolation(Exception):
    """A process rule refuses the action. `rule` names it (shown to the user, 409 in the API)."""

    def __init__(self, rule: str, message: str):
        super().__init__(f"{message} (rule: {rule})")
        self.rule = rule
        self.message = message

    @property
    def detail(self) -> str:
        return f"{self.message} (rule: {self.rule})"


class InvalidInput(Exception):
    """Input that the action cannot use, naming the field (400 in the API)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def storable(text: str, field: str) -> str:
    """Free text from any entry point (a raw form field, an API body, a mail): no NUL character,
    which PostgreSQL cannot store, and no lone surrogate, which is not UTF-8."""
    if "\x00" in text:
        raise InvalidInput(field, "Text cannot contain NUL characters.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(field, "Text must be valid Unicode.")
    return text

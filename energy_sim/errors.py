"""The one exception for a user's mistake, and how the CLI reports it.

Every check of user input (scenario files, data tables, profiles, command-line options)
raises :class:`InputError`. The CLI catches it, prints one line naming the file, the field,
the bad value and what is allowed, and exits with status 2. Anything else is a bug and keeps
its traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: Exit status for a user's mistake (bad input, infeasible request).
EXIT_INPUT = 2


class InputError(ValueError):
    """A user's input is wrong.

    Parameters
    ----------
    message
        What is wrong, in one sentence.
    file
        The file the value came from (scenario YAML, data CSV, profile), if any.
    field
        The field, column or key path (``policies.clean_share``, ``fleet.csv: capacity_mw``).
    value
        The offending value.
    allowed
        What would have been accepted (``a number >= 0``, ``one of north, south``).
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        field: str | None = None,
        value: Any = None,
        allowed: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(self.render())

    def render(self) -> str:
        """One line: ``file: field: message (got VALUE; allowed: ALLOWED)``."""
        parts = []
        if self.file:
            parts.append(self.file)
        if self.field:
            parts.append(self.field)
        head = ": ".join(parts)
        text = f"{head}: {self.message}" if head else self.message
        extra = []
        if self.value is not None:
            extra.append(f"got {self.value!r}")
        if self.allowed:
            extra.append(f"allowed: {self.allowed}")
        if extra:
            text += f" ({'; '.join(extra)})"
        return text

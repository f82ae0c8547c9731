"""User-facing errors and warnings, each carrying the file and the place in it."""

from __future__ import annotations

from dataclasses import dataclass, field


class ZgenError(Exception):
    """A mistake in the user's input: printed as one line by the CLI, exit code 2."""

    def __init__(self, file: str, place: str, message: str) -> None:
        self.file = file
        self.place = place
        self.message = message
        super().__init__(self.line())

    def line(self) -> str:
        where = f"{self.file}: {self.place}" if self.place else self.file
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Warning:
    """Something zgen could build around, reported with its place."""

    file: str
    place: str
    message: str

    def line(self) -> str:
        where = f"{self.file}: {self.place}" if self.place else self.file
        return f"warning: {where}: {self.message}"


@dataclass
class Diagnostics:
    """Warnings collected over one build, in the order they were found."""

    warnings: list[Warning] = field(default_factory=list)

    def warn(self, file: str, place: str, message: str) -> None:
        self.warnings.append(Warning(file, place, message))

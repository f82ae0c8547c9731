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


class InternalError(ZgenError):
    """A fault of zgen itself (say, generated code that does not compile): one line, exit code 1."""

    def line(self) -> str:
        return f"internal error: {super().line()} (please report this)"


@dataclass(frozen=True)
class Warning:
    """Something zgen could build around, reported with its place (and, when it concerns one
    request, that request's place and folder, by which warnings of a kind are grouped)."""

    file: str
    place: str
    message: str
    request: str = ""
    folder: str = ""

    def line(self) -> str:
        where = f"{self.file}: {self.place}" if self.place else self.file
        return f"warning: {where}: {self.message}"


# How a group of warnings of one kind reads: (plural phrase, outcome).
GROUPED_KINDS = {
    "field seen only as null; typed as Any": ("fields seen only as null", "typed Any"),
    "array seen only empty; typed as list[Any]": ("arrays seen only empty", "typed list[Any]"),
}


def warning_lines(warnings: list[Warning], verbose: bool = False) -> list[str]:
    """The lines the command line prints: with `verbose` one per warning; otherwise warnings of
    one kind in one request folder of one collection make one line with their counts (a kind
    seen once keeps its own line). Only warnings are grouped, never errors."""
    if verbose:
        return [warning.line() for warning in warnings]
    groups: dict[tuple[str, str, str], list[Warning]] = {}
    for warning in warnings:
        top = warning.folder.split(" / ")[0]  # the top-level folder holds the request
        groups.setdefault((warning.file, top, warning.message), []).append(warning)
    lines = []
    for (file, folder, message), members in groups.items():
        if len(members) == 1:
            lines.append(members[0].line())
            continue
        requests = len({member.request or member.place for member in members})
        where = f"{file}: {folder}" if folder else file
        plural, outcome = GROUPED_KINDS.get(message, ("", ""))
        in_requests = f"in {requests} request{'s' if requests != 1 else ''}"
        if plural:
            text = f"{len(members)} {plural} {in_requests}: {outcome}"
        else:
            text = f"{message} ({len(members)} places {in_requests})"
        lines.append(f"warning: {where}: {text}; -v lists them")
    return lines


@dataclass
class Diagnostics:
    """Warnings collected over one build, in the order they were found."""

    warnings: list[Warning] = field(default_factory=list)

    def warn(
        self, file: str, place: str, message: str, *, request: str = "", folder: str = ""
    ) -> None:
        self.warnings.append(Warning(file, place, message, request, folder))


def json_kind(value: object) -> str:
    """A parsed JSON value's kind as the JSON text says it, with its article: `null`, `an array`,
    `an object`, `a string`, `a number`, `a boolean` (for messages about the input)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"

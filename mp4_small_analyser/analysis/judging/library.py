"""Where profiles come from: the built-ins, a folder of the user's, a file, an inline object.

A name is looked up among the built-ins shipped in the package
(`builtin/*.yaml`, package data, so the Lambda bundle has them), then the
user's folder (the PROFILES_DIR setting). A user profile may not take a
built-in's name, and an inline profile may not take any known name: a name
means the same rules everywhere. A path (`--profile ./spec.yaml`) is read
directly; an inline object (a service request) may extend only by name, never
by path, so a request cannot make the server read its files.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .compiling import Problems, compile_rule
from .issues import ProfileError, ProfileIssue, did_you_mean
from .merging import merge
from .profile_model import ProfileDocument, Rule
from .reading import TextError, document, parse_text
from .resolved import ResolvedProfile

SUFFIXES = (".yaml", ".yml", ".json")
INLINE = "inline profile"


@dataclass(frozen=True)
class _Entry:
    name: str
    text: str
    source: str
    """`built-in NAME` or the file's path: what messages name."""
    directory: Path | None
    builtin: bool
    named_by_file: bool = True
    """Built-ins and folder profiles are found by file name, so `name` must match it."""


class ProfileLibrary:
    def __init__(self, folder: Path | None = None) -> None:
        self._entries: dict[str, _Entry] = {entry.name: entry for entry in _builtin_entries()}
        self.folder_issues: list[ProfileIssue] = []
        if folder is not None:
            self._add_folder(folder)
        self._cache: dict[str, ResolvedProfile] = {}

    def names(self) -> list[str]:
        return sorted(self._entries)

    def origin(self, name: str) -> str:
        """`built-in`, or the file a folder profile was read from."""
        entry = self._entries[name]
        return "built-in" if entry.builtin else entry.source

    def get(self, reference: str) -> ResolvedProfile:
        """A profile by name, or from a file when `reference` is a path."""
        if _is_path(reference):
            return self.from_file(Path(reference))
        if reference not in self._entries:
            known = ", ".join(self.names())
            hint = did_you_mean(reference, self._entries)
            issue = ProfileIssue(reference, "", f"no such profile{hint}; known: {known}")
            raise ProfileError([issue])
        return self._resolve_entry(self._entries[reference], ())

    def from_file(self, path: Path) -> ResolvedProfile:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ProfileError([ProfileIssue(str(path), "", f"cannot be read: {exc}")]) from exc
        entry = _Entry(path.stem, text, str(path), path.parent, False, named_by_file=False)
        return self._resolve_entry(entry, ())

    def from_object(self, raw: Mapping[str, Any]) -> ResolvedProfile:
        """An inline profile (a service request's `profile` object)."""
        name = raw.get("name")
        if isinstance(name, str) and name in self._entries:
            taken = "a built-in profile" if self._entries[name].builtin else "a profile"
            message = f"{name!r} is the name of {taken}: give yours its own"
            issue = ProfileIssue(INLINE, "name", message)
            raise ProfileError([issue])
        return self._resolve(raw, INLINE, None, ())

    def from_document(self, flat: ProfileDocument) -> ResolvedProfile:
        """A self-contained profile (`ResolvedProfile.document()`), as a queue message has it."""
        return self._resolve(flat.model_dump(by_alias=True, exclude_none=True), flat.name, None, ())

    def problems(self) -> list[ProfileIssue]:
        """Everything wrong with the folder and every profile in the library."""
        found = list(self.folder_issues)
        for name in self.names():
            try:
                self.get(name)
            except ProfileError as exc:
                found.extend(exc.issues)
        return found

    def _add_folder(self, folder: Path) -> None:
        if not folder.is_dir():
            self.folder_issues.append(ProfileIssue(str(folder), "", "is not a folder"))
            return
        for path in sorted(folder.iterdir()):
            if path.suffix not in SUFFIXES:
                continue
            if path.stem in self._entries:
                clash = "a built-in profile" if self._entries[path.stem].builtin else "another file"
                self.folder_issues.append(
                    ProfileIssue(str(path), "", f"the name {path.stem!r} is taken by {clash}")
                )
                continue
            text = path.read_text(encoding="utf-8")
            self._entries[path.stem] = _Entry(path.stem, text, str(path), folder, False)

    def _resolve_entry(self, entry: _Entry, stack: tuple[str, ...]) -> ResolvedProfile:
        if entry.source in self._cache:
            return self._cache[entry.source]
        try:
            raw = parse_text(entry.text, entry.source, entry.source.endswith(".json"))
        except TextError as exc:
            raise ProfileError(exc.issues) from None
        name = entry.name if entry.named_by_file else None
        resolved = self._resolve(raw, entry.source, entry.directory, stack, name)
        self._cache[entry.source] = resolved
        return resolved

    def _resolve(
        self,
        raw: Any,
        source: str,
        directory: Path | None,
        stack: tuple[str, ...],
        file_name: str | None = None,
    ) -> ResolvedProfile:
        parsed = document(raw, source)
        if isinstance(parsed, list):
            raise ProfileError([*parsed, *self._partial_issues(raw, source, directory)])
        problems = Problems(source)
        if file_name is not None and parsed.name != file_name:
            problems.add("name", f"{parsed.name!r} differs from the file name {file_name!r}")
        parents = list(self._parents(parsed.extends, directory, (*stack, source), problems))
        resolved = merge(parsed, parents, problems)
        if problems.issues:
            raise ProfileError(problems.issues)
        return resolved

    def _partial_issues(self, raw: Any, source: str, directory: Path | None) -> list[ProfileIssue]:
        """What else is wrong with a profile whose shape is wrong: its parents and its
        well-formed rules, so one run lists every problem."""
        problems = Problems(source)
        if not isinstance(raw, Mapping):
            return []
        for where, reference in _references(raw.get("extends")):
            self._parent_entry(reference, directory, where, problems)
        rules = raw.get("rules")
        for index, item in enumerate(rules if isinstance(rules, list) else []):
            try:
                rule = Rule.model_validate(item)
            except ValidationError:
                continue
            compile_rule(rule, f"rules[{index}] ({rule.key})", "", problems)
        return problems.issues

    def _parents(
        self, extends: Any, directory: Path | None, stack: tuple[str, ...], problems: Problems
    ) -> Iterator[ResolvedProfile]:
        for where, reference in _references(extends):
            entry = self._parent_entry(reference, directory, where, problems)
            if entry is None:
                continue
            if entry.source in stack:
                cycle = " → ".join([*stack[stack.index(entry.source) :], entry.source])
                problems.add(where, f"circular extends: {cycle}")
                continue
            try:
                yield self._resolve_entry(entry, stack)
            except ProfileError as exc:
                problems.add(where, f"parent {reference!r} is invalid")
                problems.issues.extend(exc.issues)

    def _parent_entry(
        self, reference: str, directory: Path | None, where: str, problems: Problems
    ) -> _Entry | None:
        if not _is_path(reference):
            if reference in self._entries:
                return self._entries[reference]
            hint = did_you_mean(reference, self._entries)
            problems.add(where, f"unknown parent profile {reference!r}{hint}")
            return None
        if directory is None:
            problems.add(where, "an inline profile extends profiles by name only, not by path")
            return None
        path = (directory / reference).resolve()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            problems.add(where, f"parent {reference!r} cannot be read: {exc.strerror}")
            return None
        return _Entry(path.stem, text, str(path), path.parent, False, named_by_file=False)


def _references(extends: Any) -> Iterator[tuple[str, str]]:
    """(where, reference) for each parent named by `extends` (a name or a list)."""
    if isinstance(extends, str):
        yield "extends", extends
    elif isinstance(extends, list):
        for index, reference in enumerate(extends):
            if isinstance(reference, str):
                yield f"extends[{index}]", reference


def _builtin_entries() -> Iterator[_Entry]:
    folder = resources.files(__package__) / "builtin"
    for item in sorted(folder.iterdir(), key=lambda entry: entry.name):
        name = item.name
        if item.is_file() and name.endswith(SUFFIXES):
            stem = name.rsplit(".", 1)[0]
            yield _Entry(stem, item.read_text(encoding="utf-8"), f"built-in {stem}", None, True)


def _is_path(reference: str) -> bool:
    return "/" in reference or "\\" in reference or reference.endswith(SUFFIXES)


@cache
def builtin_library() -> ProfileLibrary:
    """The built-ins alone, for callers that have no folder setting (read once)."""
    return ProfileLibrary()

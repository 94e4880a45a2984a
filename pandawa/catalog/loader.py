"""Read a catalogue file and validate it, with errors an operator can act on.

Every problem names the file, the line (found by walking the YAML node tree along the
pydantic error path), the key path, what is wrong and the fix:

    catalog.yaml:12: offices[0].timezone: 'Asia/Jakrta' is not an IANA time zone; fix: ...
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

import yaml
from flask import has_app_context
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from pandawa.catalog.fields import LocalizedText
from pandawa.catalog.schema import SHIPPED_CATALOG, Catalog, dotted_path
from pandawa.core.config import current_settings

__all__ = ["SHIPPED_CATALOG", "CatalogError", "Problem", "default_catalog_path", "load_file"]

EXAMPLE = "pandawa/catalog/default.yaml"


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    path: str
    what: str
    fix: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        key = f" {self.path}:" if self.path else ""
        return f"{where}:{key} {self.what}; fix: {self.fix}"


class CatalogError(ValueError):
    """The catalogue cannot be used; `str()` is one line per problem, sorted by line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.line or 0, p.path))
        super().__init__("\n".join(str(p) for p in self.problems))


def default_catalog_path() -> Path:
    """PANDAWA_CATALOG when set, else the catalogue shipped in the package."""
    if has_app_context():
        configured = current_settings().catalog_path
        if configured:
            return Path(configured)
    return SHIPPED_CATALOG


def read_source(path: str | Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        fix = f"check the path, or start from {EXAMPLE}"
        raise _error(str(path), None, "no such file", fix) from None
    except OSError as exc:
        what = f"cannot be read ({exc.strerror})"
        raise _error(str(path), None, what, "check the path and its permissions") from None


def load_file(path: str | Path) -> Catalog:
    """Parse and validate a catalogue file; raise CatalogError naming file, line and fix."""
    return parse(read_source(path), str(path))


def parse(raw: bytes, source: str) -> Catalog:
    """Validate a catalogue's bytes; `source` names the file in the messages."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _error(source, line, "the file is not UTF-8 text", "save it as UTF-8") from None
    node, data = _compose(text, source)
    if node is None:
        raise _error(source, None, "the file is empty", f"start from {EXAMPLE}")
    if not isinstance(data, dict):
        raise _error(
            source,
            node.start_mark.line + 1,
            "the top level is not a mapping of keys",
            f"start with `version: 1` as in {EXAMPLE}",
        )
    duplicates = list(_duplicate_keys(node, (), source))
    if duplicates:
        raise CatalogError(duplicates)
    try:
        return Catalog.model_validate(data)
    except ValidationError as exc:
        raise CatalogError([_problem(error, node, source) for error in exc.errors()]) from None


def _error(source: str, line: int | None, what: str, fix: str) -> CatalogError:
    return CatalogError([Problem(source, line, "", what, fix)])


# -- YAML ------------------------------------------------------------------------------------
def _compose(text: str, source: str) -> tuple[yaml.Node | None, Any]:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        parts = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        raise _error(
            source,
            mark.line + 1 if mark else None,
            f"YAML syntax error: {parts}",
            "check indentation and quoting here and on the line above; put text containing "
            "': ', '#', or starting with *, &, !, {, [, ' or \" in double quotes",
        ) from None
    except yaml.YAMLError as exc:
        raise _error(source, None, f"YAML error: {exc}", "check the YAML syntax") from None
    finally:
        loader.dispose()


def _duplicate_keys(node: yaml.Node, loc: tuple, source: str) -> Iterator[Problem]:
    # safe_load silently keeps the last of two equal keys: a pasted block would hide the first
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                line = key.start_mark.line + 1
                if key.value in seen:
                    yield Problem(
                        source,
                        line,
                        dotted_path((*loc, key.value)),
                        f"the key appears twice (first on line {seen[key.value]})",
                        "keep one of them; YAML would silently use only the last",
                    )
                seen.setdefault(key.value, line)
                yield from _duplicate_keys(value, (*loc, key.value), source)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _duplicate_keys(item, (*loc, index), source)


def _line_of(root: yaml.Node, loc: tuple) -> int:
    """The line of the deepest node the error path reaches (a key's own line for mappings)."""
    node, line = root, root.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            match = next(
                (
                    (k, v)
                    for k, v in node.value
                    if isinstance(k, yaml.ScalarNode) and k.value == part
                ),
                None,
            )
            if match is None:
                break
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


# -- pydantic errors → problems --------------------------------------------------------------
def _problem(error: ErrorDetails, root: yaml.Node, source: str) -> Problem:
    loc = tuple(part for part in error["loc"] if part != "[key]")
    what, fix = _describe(error, loc)
    return Problem(source, _line_of(root, loc), dotted_path(loc), what, fix)


def _describe(error: ErrorDetails, loc: tuple) -> tuple[str, str]:
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    shown = _show(value)
    if kind == "catalog":
        return ctx["what"], ctx["fix"]
    if kind == "missing":
        return f"required key {loc[-1]!r} is missing" if loc else "is missing", _missing_fix(loc)
    if kind == "extra_forbidden":
        parent = _type_at(loc[:-1])
        known = list(parent.model_fields) if parent else []
        close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]}? " if close else ""
        return (
            f"unknown key {loc[-1]!r}",
            f"{hint}remove it or correct its spelling; allowed here: {', '.join(known)}",
        )
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        target = _type_at(loc)
        if target and issubclass(target, LocalizedText):
            return f"{shown} is not a pair of texts", "write it as {id: ..., en: ...}"
        return f"{shown} is not a mapping", "write `key: value` lines indented under it"
    if kind == "list_type":
        return f"{shown} is not a list", "write one `- item` per line, or [a, b]"
    if kind == "string_type":
        return (
            f"{shown} is not text",
            "put it in double quotes (YAML reads bare numbers, dates, yes/no as other types)",
        )
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"{shown} is not a whole number", "write a whole number such as 30"
    if kind in ("bool_type", "bool_parsing"):
        return f"{shown} is not true or false", "write true or false"
    if kind.startswith("date"):
        return f"{shown} is not a date", "write the date as YYYY-MM-DD, e.g. 2026-12-24"
    if kind == "literal_error":
        if loc == ("version",):
            return f"version {shown} is not supported", "this Pandawa reads `version: 1`"
        return f"{shown} is not allowed", f"use {ctx.get('expected')}"
    if kind == "too_short":
        return "is empty", f"add at least {ctx.get('min_length', 1)} entry (see {EXAMPLE})"
    if kind == "string_too_long":
        return (
            f"is longer than {ctx.get('max_length')} characters",
            "shorten it (WhatsApp messages and names have limits)",
        )
    if kind in _BOUNDS:
        symbol, limit = _BOUNDS[kind]
        return f"{shown} is out of range", f"use a number {symbol} {ctx.get(limit)}"
    return error["msg"], f"compare with {EXAMPLE}"


_BOUNDS = {
    "greater_than_equal": ("≥", "ge"),
    "greater_than": (">", "gt"),
    "less_than_equal": ("≤", "le"),
    "less_than": ("<", "lt"),
}


def _missing_fix(loc: tuple) -> str:
    name = loc[-1] if loc else ""
    if name == "version":
        return "add `version: 1` at the top of the file"
    parent = _type_at(loc[:-1])
    if parent is not None and issubclass(parent, LocalizedText):
        language = "English" if name == "en" else "Bahasa Indonesia"
        return f"add the {language} text ({name}: ...)"
    return f"add `{name}: ...` here (see {EXAMPLE} for an example)"


def _type_at(loc: tuple) -> type[BaseModel] | None:
    """The pydantic model found at an error path, for naming the keys allowed there."""
    current: Any = Catalog
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(part) if isinstance(part, str) else None
            if field is None:
                return None
            current = field.annotation
        elif get_origin(current) is list and isinstance(part, int):
            current = get_args(current)[0]
        elif get_origin(current) is dict and isinstance(part, str):
            current = get_args(current)[1]
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            options = [a for a in get_args(annotation) if a is not type(None)]
            annotation = options[0] if len(options) == 1 else annotation
            if len(options) != 1:
                return annotation
        else:
            return annotation


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."

"""Source profiles: declarative YAML that maps another system's export onto the contracts.

A landing folder may hold a `profile.yml`: either `extends: <shipped profile>` (optionally
overriding `options` or `files`) or a full profile. A profile says which files feed which
entity, and per file: column renames, constants, templates (`"{year}-01-01"`), coalesces,
lookups into another file of the same delivery, value maps, defaults for blanks, the columns
a row needs to be a record of the entity at all (`only_rows_with`), whether rows repeating a
record are one record (`collapse_repeated_records`), and reading
options (encoding, delimiter, sheet, date order, decimal mark, time zone). A new export is a new
profile, not new Python. Errors name the profile file and the field.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from ingest.contracts import ENTITIES, Entity, entity

SHIPPED_DIR = Path(__file__).parent / "profiles"
SHIPPED_NAME = re.compile(r"[A-Za-z0-9_-]+")
PROFILE_FILE = "profile.yml"
DATE_ORDERS = ("YMD", "DMY", "MDY")
SOURCES = tuple(dict.fromkeys(e.source for e in ENTITIES))  # crm, orders, survey, plan
TEMPLATE_FIELD = re.compile(r"\{([^{}]+)\}")


class ProfileError(Exception):
    """A profile is invalid; the message names the file and the field."""


@dataclass(frozen=True)
class Options:
    """How values are written in the files: reading and parsing settings."""

    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    date_order: str = "YMD"
    decimal_mark: str = "."
    timezone: str = "UTC"
    # Order lines with a negative quantity or price (credit notes) are quarantined unless the
    # export is known to carry them; then they load, flagged is_credit_line in the facts.
    allow_credit_lines: bool = False
    # Dates outside [earliest_date, latest_date] are quarantined as implausible (9999-12-31,
    # 1900-01-01 placeholders). latest_date defaults to five years after the load.
    earliest_date: str = "1990-01-01"
    latest_date: str | None = None


@dataclass(frozen=True)
class Lookup:
    """Take a value from another file of the delivery: its `take` column where its `key`
    column equals our `match` column. (Not `on`: YAML 1.1 reads a bare `on` as true.)"""

    file: str  # glob, relative to the profile's folder
    key: str
    match: str
    take: str


@dataclass(frozen=True)
class FileMapping:
    pattern: str
    entity: Entity
    options: Options = field(default_factory=Options)
    rename: dict[str, str] = field(default_factory=dict)  # file column -> contract column
    constants: dict[str, str] = field(default_factory=dict)
    derive: dict[str, str] = field(default_factory=dict)  # contract column -> template
    coalesce: dict[str, tuple[str, ...]] = field(default_factory=dict)
    lookups: dict[str, Lookup] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)
    # File columns every record of the entity has: rows blank in one of them are not records
    # of it (an order never handed to a carrier is no shipment). They are counted as skipped
    # in the load log, neither loaded nor quarantined.
    only_rows_with: tuple[str, ...] = ()
    # A file that names a record on every row of something else (a deals export naming its
    # rep on each deal): rows identical in every contract column are one record, the repeats
    # skipped (counted), instead of quarantined as duplicate keys.
    collapse_repeated_records: bool = False

    def matches(self, relative: str) -> bool:
        return fnmatch.fnmatch(relative, self.pattern) or fnmatch.fnmatch(
            relative.rsplit("/", 1)[-1], self.pattern
        )


@dataclass(frozen=True)
class Profile:
    name: str
    files: tuple[FileMapping, ...]
    description: str = ""
    origin: str = ""  # the file it was read from, for messages

    def mappings_for(self, relative: str) -> list[FileMapping]:
        """Every mapping of the file: one file may feed several entities (a deals export with
        its accounts), each entity once (see `ambiguous`)."""
        return [mapping for mapping in self.files if mapping.matches(relative)]

    def ambiguous(self, relative: str, mappings: list[FileMapping]) -> str | None:
        """Why the file's mappings (from mappings_for) cannot all apply: two of them feed the
        same entity (which one would win is an accident of their order), or None."""
        seen: dict[str, FileMapping] = {}
        for mapping in mappings:
            first = seen.setdefault(mapping.entity.table, mapping)
            if first is not mapping:
                return (f"{self.origin}: patterns {first.pattern!r} and {mapping.pattern!r} both "
                        f"map {relative} to {mapping.entity.source}/{mapping.entity.name}; a "
                        "file feeds an entity once: make the patterns exclusive")
        return None


def canonical_profile(source: str, options: Options | None = None) -> Profile:
    """The identity profile of a canonical source folder: `<entity>/<any file>`."""
    options = options or Options()
    files = tuple(
        FileMapping(pattern=f"{e.name}/*", entity=e, options=options)
        for e in ENTITIES
        if e.source == source
    )
    return Profile(name=f"canonical:{source}", files=files, origin="(built in)")


# -- loading and validation --------------------------------------------------------------------

def _fail(origin: str, where: str, problem: str) -> ProfileError:
    return ProfileError(f"{origin}: {where}: {problem}")


def _strings(value: Any, origin: str, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _fail(origin, where, "must be a mapping of names to values")
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


def _options(raw: Any, origin: str, where: str, base: Options) -> Options:
    if raw is None:
        return base
    if not isinstance(raw, dict):
        raise _fail(origin, where, "must be a mapping")
    known = {f for f in Options.__dataclass_fields__}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise _fail(origin, f"{where}.{unknown[0]}",
                    f"unknown option; use one of {', '.join(sorted(known))}")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "allow_credit_lines":
            if not isinstance(value, bool):
                raise _fail(origin, f"{where}.{key}", "must be true or false")
            values[key] = value
        elif key in ("earliest_date", "latest_date"):
            try:
                values[key] = date.fromisoformat(str(value)).isoformat()
            except ValueError:
                raise _fail(origin, f"{where}.{key}", "must be a date, YYYY-MM-DD") from None
        else:
            values[key] = str(value)
    options = replace(base, **values)
    if options.date_order not in DATE_ORDERS:
        raise _fail(origin, f"{where}.date_order", f"must be one of {', '.join(DATE_ORDERS)}")
    if options.decimal_mark not in (".", ","):
        raise _fail(origin, f"{where}.decimal_mark", 'must be "." or ","')
    return options


def _file_mapping(raw: Any, origin: str, index: int, base: Options) -> FileMapping:
    where = f"files[{index}]"
    if not isinstance(raw, dict):
        raise _fail(origin, where, "must be a mapping")
    for required in ("pattern", "source", "entity"):
        if not raw.get(required):
            raise _fail(origin, f"{where}.{required}", "is required")
    try:
        target = entity(str(raw["source"]), str(raw["entity"]))
    except KeyError as exc:
        raise _fail(origin, f"{where}.entity", str(exc.args[0])) from None
    contract = set(target.column_names)

    def check_targets(names: list[str], key: str) -> None:
        for name in names:
            if name not in contract:
                raise _fail(origin, f"{where}.{key}.{name}",
                            f"{target.source}/{target.name} has no column {name!r}; "
                            f"its columns are {', '.join(target.column_names)}")

    rename = _strings(raw.get("rename"), origin, f"{where}.rename")
    check_targets(list(rename.values()), "rename")
    constants = _strings(raw.get("constants"), origin, f"{where}.constants")
    derive = _strings(raw.get("derive"), origin, f"{where}.derive")
    defaults = _strings(raw.get("defaults"), origin, f"{where}.defaults")
    coalesce_raw = raw.get("coalesce") or {}
    if not isinstance(coalesce_raw, dict) or not all(
        isinstance(v, list) and v for v in coalesce_raw.values()
    ):
        raise _fail(origin, f"{where}.coalesce", "must map a column to a list of file columns")
    coalesce = {str(k): tuple(str(c) for c in v) for k, v in coalesce_raw.items()}
    values_raw = raw.get("values") or {}
    if not isinstance(values_raw, dict):
        raise _fail(origin, f"{where}.values", "must map a column to {from: to} pairs")
    values = {str(k): _strings(v, origin, f"{where}.values.{k}") for k, v in values_raw.items()}
    lookups: dict[str, Lookup] = {}
    for name, spec in (raw.get("lookups") or {}).items():
        if not isinstance(spec, dict) or set(spec) != {"file", "key", "match", "take"}:
            raise _fail(origin, f"{where}.lookups.{name}",
                        "needs exactly: file, key, match, take")
        lookups[str(name)] = Lookup(**{k: str(v) for k, v in spec.items()})
    only_raw = raw.get("only_rows_with") or []
    if not isinstance(only_raw, list) or not all(isinstance(c, str) and c for c in only_raw):
        raise _fail(origin, f"{where}.only_rows_with", "must list file column names")
    collapse = raw.get("collapse_repeated_records", False)
    if not isinstance(collapse, bool):
        raise _fail(origin, f"{where}.collapse_repeated_records", "must be true or false")
    for key, names in (("constants", constants), ("derive", derive), ("coalesce", coalesce),
                       ("lookups", lookups), ("values", values), ("defaults", defaults)):
        check_targets(list(names), key)
    return FileMapping(
        pattern=str(raw["pattern"]), entity=target,
        options=_options(raw.get("options"), origin, f"{where}.options", base),
        rename=rename, constants=constants, derive=derive, coalesce=coalesce,
        lookups=lookups, values=values, defaults=defaults, only_rows_with=tuple(only_raw),
        collapse_repeated_records=collapse,
    )


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ProfileError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ProfileError(f"{path}: must be a YAML mapping")
    return data


def shipped_profiles() -> list[str]:
    return sorted(p.stem for p in SHIPPED_DIR.glob("*.yml"))


def _extended(parent: Any, path: Path, origin: str, landing_root: Path | None) -> Path:
    """The file `extends:` names: a shipped profile by name, or a profile file inside the
    landing folder (a path relative to this profile's folder). The landing folder is a trust
    boundary: nothing outside it (an absolute path, `../..`) is ever read as a profile."""
    name = str(parent)
    if SHIPPED_NAME.fullmatch(name):
        shipped = SHIPPED_DIR / f"{name}.yml"
        if shipped.exists():
            return shipped
    elif landing_root is not None and not Path(name).is_absolute():
        candidate = (path.parent / name).resolve()
        if candidate.is_relative_to(landing_root.resolve()) and candidate.is_file():
            return candidate
    raise _fail(origin, "extends", f"{name!r} is neither a shipped profile "
                f"({', '.join(shipped_profiles())}) nor a profile file inside the landing "
                "folder; files outside the landing folder are never read")


def load_profile(path: Path, landing_root: Path | None = None) -> Profile:
    data = _read_yaml(path)
    origin = str(path)
    parent = data.get("extends")
    if parent:
        extended = _extended(parent, path, origin, landing_root)
        base = _read_yaml(extended)
        base.pop("extends", None)  # one level: a profile extends a complete profile
        # The folder's own keys win; `options` merge key by key.
        merged_options = {**(base.get("options") or {}), **(data.get("options") or {})}
        data = {**base, **{k: v for k, v in data.items() if k != "extends"},
                "options": merged_options}
    unknown = sorted(set(data) - {"name", "description", "options", "files"})
    if unknown:
        raise _fail(origin, unknown[0], "unknown key; use name, description, options, files")
    base_options = _options(data.get("options"), origin, "options", Options())
    files = data.get("files")
    if files is None and path.parent.name in SOURCES:
        # A canonical source folder whose profile only sets options (encoding, date order...).
        return canonical_profile(path.parent.name, base_options)
    if not isinstance(files, list) or not files:
        raise _fail(origin, "files", "must list at least one file mapping")
    return Profile(
        name=str(data.get("name") or path.parent.name),
        description=str(data.get("description") or ""),
        files=tuple(_file_mapping(f, origin, i, base_options) for i, f in enumerate(files)),
        origin=origin,
    )


def template_fields(template: str) -> list[str]:
    return TEMPLATE_FIELD.findall(template)

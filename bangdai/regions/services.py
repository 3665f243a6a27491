"""Writes to the jurisdiction tree: loading the official divisions, importing villages, abolishing units."""

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from bangdai.core.cache import REGION_COUNTS, bump

from .choices import CRS, KIND_BY_CHINESE, Kind, Level
from .models import PATH_STEP, Region

DIVISIONS_VINTAGE = dt.date(2025, 12, 31)
# Zhejiang's bounding box, with a margin: coordinates outside it are typos.
LNG_RANGE = (117.5, 123.5)
LAT_RANGE = (26.5, 31.8)


def _step(n: int) -> str:
    return str(n).zfill(PATH_STEP)


def divisions_path() -> Path:
    return Path(settings.BANGDAI["DATA_DIR"]) / "zhejiang" / "divisions.csv"


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0


@transaction.atomic
def load_divisions(path: Path | None = None) -> LoadResult:
    """Load or refresh province → township from the shipped MCA list; existing units are updated, never deleted."""
    with open(path or divisions_path(), encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    order = {"province": 1, "city": 2, "county": 3, "township": 4}
    rows.sort(key=lambda r: (order[r["level"]], r["code"]))
    existing = {r.code: r for r in Region.objects.current().filter(depth__lte=Level.TOWNSHIP)}
    result = LoadResult()
    new_nodes: list[Region] = []
    changed: list[Region] = []
    next_child: dict[str, int] = {}
    by_code = dict(existing)

    def child_path(parent: Region | None) -> str:
        key = parent.path if parent else ""
        if key not in next_child:
            if parent is None:
                last = Region.objects.filter(depth=1).order_by("-path").values_list("path", flat=True).first()
            else:
                last = parent.get_last_child().path if parent.pk and parent.numchild else None
            next_child[key] = int(last[-PATH_STEP:]) if last else 0
        next_child[key] += 1
        return key + _step(next_child[key])

    for row in rows:
        lng = float(row["lng"]) if row["lng"] else None
        lat = float(row["lat"]) if row["lat"] else None
        values = {
            "name": row["name"],
            "kind": KIND_BY_CHINESE[row["kind"]],
            "lng": lng,
            "lat": lat,
            "crs": CRS.GCJ02 if row["crs"] == "GCJ02" else "",
        }
        region = by_code.get(row["code"])
        if region:
            if any(getattr(region, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(region, k, v)
                changed.append(region)
                result.updated += 1
            continue
        parent = by_code.get(row["parent_code"]) if row["parent_code"] else None
        region = Region(
            code=row["code"],
            path=child_path(parent),
            depth=order[row["level"]],
            numchild=0,
            valid_from=None,
            source="MCA 2025-12-31",
            **values,
        )
        if parent is not None:
            parent.numchild += 1
            if parent.pk and parent not in changed:
                changed.append(parent)
        by_code[row["code"]] = region
        new_nodes.append(region)
    Region.objects.bulk_create(new_nodes, batch_size=2000)
    if changed:
        Region.objects.bulk_update(
            changed, ["name", "kind", "lng", "lat", "crs", "numchild"], batch_size=2000
        )
    result.created = len(new_nodes)
    bump(REGION_COUNTS)
    return result


# ---------------------------------------------------------------- villages

VILLAGE_COLUMNS = ["code", "name", "parent_code", "kind", "lng", "lat", "urban_rural_class", "valid_from"]


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class VillageImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class VillageImportError(Exception):
    def __init__(self, report: VillageImportReport):
        super().__init__(f"{len(report.errors)} errors")
        self.report = report


def _village_kind(code: str, given: str) -> Kind | str:
    if given:
        kind = KIND_BY_CHINESE.get(given.strip()) or (given.strip() if given.strip() in Kind.values else None)
        if kind not in (Kind.VILLAGE, Kind.COMMUNITY):
            return ""
        return kind
    return Kind.COMMUNITY if int(code[9:]) < 200 else Kind.VILLAGE


def _parse_float(raw: str, bounds: tuple[float, float]) -> float | None:
    value = float(raw)
    if not bounds[0] <= value <= bounds[1]:
        raise ValueError
    return value


def validate_village_rows(rows: Iterable[dict[str, str]]) -> tuple[VillageImportReport, list[dict]]:
    """Check every row; return the report and the cleaned rows (only meaningful when the report is clean)."""
    report = VillageImportReport()
    townships = {r.code: r for r in Region.objects.current().filter(depth=Level.TOWNSHIP)}
    seen: dict[str, int] = {}
    cleaned: list[dict] = []
    for number, raw in enumerate(rows, start=2):  # row 1 is the header
        report.rows += 1
        row = {k: (raw.get(k) or "").strip() for k in VILLAGE_COLUMNS}
        errors: list[RowError] = []
        code, parent_code = row["code"], row["parent_code"]
        if not (len(code) == 12 and code.isdigit()):
            errors.append(RowError(number, "code", _("A village code has 12 digits.")))
        elif not 1 <= int(code[9:]) <= 399:
            errors.append(RowError(number, "code", _("The last three digits of a village code run 001–399.")))
        elif code in seen:
            errors.append(RowError(number, "code", _("Duplicate of row %(row)s.") % {"row": seen[code]}))
        if code:
            seen.setdefault(code, number)
        parent = townships.get(parent_code)
        if parent is None:
            errors.append(
                RowError(
                    number,
                    "parent_code",
                    _("No current township has the code %(code)s.") % {"code": parent_code},
                )
            )
        elif len(code) == 12 and not code.startswith(parent_code):
            errors.append(RowError(number, "code", _("The code does not start with its township's code.")))
        if not row["name"]:
            errors.append(RowError(number, "name", _("The name is required.")))
        elif len(row["name"]) > 64:
            errors.append(RowError(number, "name", _("The name is longer than 64 characters.")))
        # A given kind is checked on its own; only an inferred kind needs a valid code.
        kind = _village_kind(code, row["kind"]) if row["kind"] or (len(code) == 12 and code.isdigit()) else ""
        if row["kind"] and not kind:
            errors.append(RowError(number, "kind", _("The kind is 村 or 社区.")))
        coords = {}
        for column, bounds in (("lng", LNG_RANGE), ("lat", LAT_RANGE)):
            if row[column]:
                try:
                    coords[column] = _parse_float(row[column], bounds)
                except ValueError:
                    errors.append(RowError(number, column, _("Not a coordinate inside Zhejiang.")))
            else:
                coords[column] = None
        if row["urban_rural_class"] and row["urban_rural_class"] not in {
            "111",
            "112",
            "121",
            "122",
            "123",
            "210",
            "220",
        }:
            errors.append(RowError(number, "urban_rural_class", _("Unknown urban-rural class code.")))
        valid_from = None
        if row["valid_from"]:
            try:
                valid_from = dt.date.fromisoformat(row["valid_from"])
            except ValueError:
                errors.append(RowError(number, "valid_from", _("Enter a date as YYYY-MM-DD.")))
        if errors:
            report.errors.extend(errors)
            continue
        cleaned.append(
            {
                "code": code,
                "name": row["name"],
                "parent": parent,
                "kind": kind,
                "urban_rural_class": row["urban_rural_class"],
                "valid_from": valid_from,
                **coords,
            }
        )
    return report, cleaned


@transaction.atomic
def import_villages(rows: Iterable[dict[str, str]], *, source: str = "import") -> VillageImportReport:
    """Create or update villages and communities; the whole file is refused if any row is wrong."""
    report, cleaned = validate_village_rows(rows)
    if not report.ok:
        raise VillageImportError(report)
    existing = {
        r.code: r
        for r in Region.objects.current().filter(depth=Level.VILLAGE, code__in=[c["code"] for c in cleaned])
    }
    parents: dict[int, Region] = {}
    next_step: dict[int, int] = {}
    new_nodes: list[Region] = []
    updated: list[Region] = []
    for row in sorted(cleaned, key=lambda r: r["code"]):
        parent = row.pop("parent")
        region = existing.get(row["code"])
        if region:
            for key, value in row.items():
                setattr(region, key, value)
            updated.append(region)
            continue
        parent = parents.setdefault(parent.pk, parent)
        if parent.pk not in next_step:
            last = (
                Region.objects.filter(path__startswith=parent.path, depth=parent.depth + 1)
                .order_by("-path")
                .values_list("path", flat=True)
                .first()
            )
            next_step[parent.pk] = int(last[-PATH_STEP:]) if last else 0
        next_step[parent.pk] += 1
        parent.numchild += 1
        new_nodes.append(
            Region(
                path=parent.path + _step(next_step[parent.pk]),
                depth=Level.VILLAGE,
                numchild=0,
                source=source,
                **row,
            )
        )
    Region.objects.bulk_create(new_nodes, batch_size=2000)
    if updated:
        Region.objects.bulk_update(
            updated, ["name", "kind", "lng", "lat", "urban_rural_class", "valid_from"], batch_size=2000
        )
    Region.objects.bulk_update(parents.values(), ["numchild"], batch_size=2000)
    report.created, report.updated = len(new_nodes), len(updated)
    bump(REGION_COUNTS)
    return report


def import_villages_csv(data: bytes | str, *, source: str = "import") -> VillageImportReport:
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data.lstrip("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    missing = {"code", "name", "parent_code"} - set(reader.fieldnames or [])
    if missing:
        report = VillageImportReport(errors=[RowError(1, c, _("Missing column.")) for c in sorted(missing)])
        raise VillageImportError(report)
    return import_villages(reader, source=source)


@transaction.atomic
def abolish(region: Region, *, on: dt.date) -> Region:
    """Mark a unit abolished; it stays in the tree with its validity dates."""
    region.valid_to = on
    region.save(update_fields=["valid_to"])
    return region


def abolished_path() -> Path:
    return Path(settings.BANGDAI["DATA_DIR"]) / "zhejiang" / "abolished.csv"


@transaction.atomic
def load_abolished(path: Path | None = None) -> int:
    """Add the shipped abolished units as history (valid_to set) under their former parent, once."""
    created = 0
    with open(path or abolished_path(), encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            valid_to = dt.date.fromisoformat(row["valid_to"])
            if Region.objects.filter(code=row["code"], valid_to=valid_to).exists():
                continue
            parent = Region.objects.current().get(code=row["parent_code"])
            Region.objects.add_child(
                parent,
                {
                    "code": row["code"],
                    "name": row["name"],
                    "kind": KIND_BY_CHINESE[row["kind"]],
                    "valid_to": valid_to,
                    "source": "abolished.csv",
                },
            )
            created += 1
    return created

"""The map of a run, drawn on the server as inline SVG from the regions' coordinates (no tiles: the CSP and an
offline machine allow none): mentors and apprentices as dots, pairs as lines, unpaired apprentices marked and a
dashed line to the mentor the suggestion names."""

import math
from collections import defaultdict
from dataclasses import dataclass

from django.utils.translation import gettext as _

from .selectors import places

WIDTH, MAX_HEIGHT, MIN_HEIGHT, PAD = 960, 640, 280, 28
KM_PER_DEGREE = 110.57
NICE_KM = (0.5, 1, 2, 5, 10, 20, 50, 100, 200)


@dataclass
class Dot:
    x: float
    y: float
    kind: str  # "mentor", "apprentice", "unpaired"
    title: str

    @property
    def left(self) -> float:  # a mentor's square is 10 units wide
        return self.x - 5

    @property
    def top(self) -> float:
        return self.y - 5


@dataclass
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    kind: str  # "strong", "fair", "weak" (by score), "suggestion"
    pinned: bool
    title: str


def band(score: float) -> str:
    return "strong" if score >= 75 else "fair" if score >= 50 else "weak"


def run_map(pairs, unpaired, suggested: dict) -> dict | None:
    """Lines, dots and a scale bar for the pairs and unpaired rows (with apprentice and mentor regions loaded).

    ``suggested`` maps a mentor id to the mentor (with its region) that an unpaired row's suggestion names.
    """
    regions = {p.apprentice.region for p in pairs} | {p.mentor.region for p in pairs}
    regions |= {u.apprentice.region for u in unpaired} | {m.region for m in suggested.values()}
    where = {
        pk: (p.lng, p.lat) for pk, p in places(regions).items() if p.lng is not None and p.lat is not None
    }
    if not where:
        return None
    lngs, lats = [lng for lng, _lat in where.values()], [lat for _lng, lat in where.values()]
    k = math.cos(math.radians(sum(lats) / len(lats)))
    span_x = max((max(lngs) - min(lngs)) * k, 0.01)
    span_y = max(max(lats) - min(lats), 0.01)
    scale = min((WIDTH - 2 * PAD) / span_x, (MAX_HEIGHT - 2 * PAD) / span_y)
    height = max(MIN_HEIGHT, span_y * scale + 2 * PAD)
    off_x = (WIDTH - span_x * scale) / 2 - (min(lngs) * k) * scale
    off_y = (height - span_y * scale) / 2 + max(lats) * scale

    def xy(region_id):
        lng, lat = where[region_id]
        return lng * k * scale + off_x, off_y - lat * scale

    # Records at one place (a village, or a township without coordinates of its own) are spread on a small
    # sunflower so each stays visible; the caption says so.
    spots: dict[tuple, list] = defaultdict(list)
    missing: set[tuple] = set()

    def place(key, region_id):
        if region_id not in where:
            missing.add(key)
            return None
        x, y = xy(region_id)
        spots[(round(x, 1), round(y, 1))].append(key)
        return key

    mentors, apprentices = {}, {}
    for p in pairs:
        if place(("m", p.mentor_id), p.mentor.region_id) and p.mentor_id not in mentors:
            mentors[p.mentor_id] = p.mentor
        if place(("a", p.apprentice_id), p.apprentice.region_id):
            apprentices[p.apprentice_id] = p.apprentice
    for u in unpaired:
        if place(("a", u.apprentice_id), u.apprentice.region_id):
            apprentices[u.apprentice_id] = u.apprentice
    for mentor in suggested.values():
        if mentor.pk not in mentors and place(("m", mentor.pk), mentor.region_id):
            mentors[mentor.pk] = mentor
    at: dict[tuple, tuple[float, float]] = {}
    for (x, y), keys in spots.items():
        keys = list(dict.fromkeys(keys))
        for i, key in enumerate(keys):
            if i == 0:
                at[key] = (x, y)
                continue
            radius, angle = 5 * math.sqrt(i), i * 2.39996
            at[key] = (x + radius * math.cos(angle), y + radius * math.sin(angle))

    lines = []
    for p in pairs:
        a, m = at.get(("a", p.apprentice_id)), at.get(("m", p.mentor_id))
        if a and m:
            lines.append(
                Line(
                    *m,
                    *a,
                    kind=band(p.score),
                    pinned=p.pinned,
                    title=_("%(mentor)s → %(apprentice)s: %(score).1f, %(km).1f km")
                    % {
                        "mentor": p.mentor.person.name,
                        "apprentice": p.apprentice.person.name,
                        "score": p.score,
                        "km": p.distance_km,
                    },
                )
            )
    for u in unpaired:
        mentor_id = (u.suggestion or {}).get("mentor_id")
        a, m = at.get(("a", u.apprentice_id)), at.get(("m", mentor_id))
        if a and m:
            lines.append(
                Line(
                    *m,
                    *a,
                    kind="suggestion",
                    pinned=False,
                    title=_("Suggested for %(name)s: %(mentor)s")
                    % {"name": u.apprentice.person.name, "mentor": suggested[mentor_id].person.name},
                )
            )
    unpaired_ids = {u.apprentice_id for u in unpaired}
    dots = [
        Dot(*at[("m", pk)], kind="mentor", title=_("Mentor %(name)s") % {"name": m.person.name})
        for pk, m in mentors.items()
    ]
    dots += [
        Dot(
            *at[("a", pk)],
            kind="unpaired" if pk in unpaired_ids else "apprentice",
            title=(_("Unpaired: %(name)s") if pk in unpaired_ids else _("Apprentice %(name)s"))
            % {"name": a.person.name},
        )
        for pk, a in apprentices.items()
    ]
    # Apprentices above mentors, the unpaired on top.
    dots.sort(key=lambda d: ("mentor", "apprentice", "unpaired").index(d.kind))
    px_per_km = scale / KM_PER_DEGREE
    km = next((n for n in NICE_KM if n * px_per_km >= 90), NICE_KM[-1])
    return {
        "width": WIDTH,
        "height": round(height),
        "lines": lines,
        "dots": dots,
        "scale_km": km,
        "scale_px": round(km * px_per_km, 1),
        "missing": len(missing),  # records without coordinates, left off the map
    }

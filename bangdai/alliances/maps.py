"""Maps of alliances and proposals, drawn on the server as inline SVG from the villages' coordinates.

No tiles and no script: the CSP and an offline machine allow neither. Hubs are squares, member villages dots of
their alliance's colour joined to the hub by a line, unplaced villages hollow red rings; a scale bar in km.
"""

import math
from dataclasses import dataclass

from django.utils.translation import gettext as _

WIDTH, MAX_HEIGHT, MIN_HEIGHT, PAD = 960, 640, 260, 24
KM_PER_DEGREE = 111.2
SCALES_KM = (1, 2, 5, 10, 20, 50, 100)
PALETTE = 10  # colours cycle through this many classes (am-c0 … am-c9 in templates/alliances/_map.html)


@dataclass
class Spot:
    x: float
    y: float
    kind: str  # "hub", "member", "unplaced"
    colour: int  # palette index, -1 for unplaced
    title: str

    @property
    def left(self) -> float:
        return self.x - 5

    @property
    def top(self) -> float:
        return self.y - 5


@dataclass
class Link:
    x1: float
    y1: float
    x2: float
    y2: float
    colour: int
    beyond: bool  # longer than the distance limit (a hand-made move)
    title: str


@dataclass(frozen=True)
class Place:
    key: int  # the village's region id
    lng: float | None
    lat: float | None
    name: str


def draw(groups, unplaced=(), limit_km: float | None = None) -> dict | None:
    """``groups``: (hub Place, [(member Place, km)]) per alliance; ``unplaced``: Places in none.

    Returns the SVG's figures, or None when nothing has coordinates.
    """
    placed = [hub for hub, _members in groups] + [p for _hub, members in groups for p, _km in members]
    placed += list(unplaced)
    known = [p for p in placed if p.lng is not None and p.lat is not None]
    if not known:
        return None
    lngs, lats = [p.lng for p in known], [p.lat for p in known]
    shrink = math.cos(math.radians(sum(lats) / len(lats)))
    span_x = max((max(lngs) - min(lngs)) * shrink, 0.005)
    span_y = max(max(lats) - min(lats), 0.005)
    scale = min((WIDTH - 2 * PAD) / span_x, (MAX_HEIGHT - 2 * PAD) / span_y)
    height = max(MIN_HEIGHT, span_y * scale + 2 * PAD)
    left = (WIDTH - span_x * scale) / 2 - min(lngs) * shrink * scale
    top = (height - span_y * scale) / 2 + max(lats) * scale

    def xy(place: Place) -> tuple[float, float] | None:
        if place.lng is None or place.lat is None:
            return None
        return round(place.lng * shrink * scale + left, 1), round(top - place.lat * scale, 1)

    spots, links, missing = [], [], 0
    for index, (hub, members) in enumerate(groups):
        colour = index % PALETTE
        at = xy(hub)
        for member, km in members:
            where = xy(member)
            if where is None:
                missing += 1
                continue
            if member.key == hub.key:
                continue
            beyond = limit_km is not None and km is not None and km > limit_km + 1e-9
            spots.append(Spot(*where, "member", colour, f"{member.name} → {hub.name}: {km:.1f} km"))
            if at is not None:
                links.append(Link(*at, *where, colour, beyond, f"{member.name} → {hub.name}: {km:.1f} km"))
        if at is None:
            missing += 1
        else:
            spots.append(
                Spot(
                    *at,
                    "hub",
                    colour,
                    _("Hub %(name)s: %(n)d villages") % {"name": hub.name, "n": len(members)},
                )
            )
    for place in unplaced:
        where = xy(place)
        if where is None:
            missing += 1
        else:
            spots.append(Spot(*where, "unplaced", -1, _("Unplaced: %(name)s") % {"name": place.name}))
    spots.sort(key=lambda s: ("member", "hub", "unplaced").index(s.kind))
    px_per_km = scale / KM_PER_DEGREE
    km = next((n for n in SCALES_KM if n * px_per_km >= 80), SCALES_KM[-1])
    return {
        "width": WIDTH,
        "height": round(height),
        "spots": spots,
        "links": links,
        "scale_km": km,
        "scale_px": round(km * px_per_km, 1),
        "missing": missing,
        "palette": range(PALETTE),
    }


def place(region) -> Place:
    return Place(region.pk, region.lng, region.lat, region.name)


def plan_map(run) -> dict | None:
    """The proposal's alliances and unplaced villages."""
    hubs = list(run.hubs.select_related("village").order_by("village__path"))
    members: dict[int, list] = {h.pk: [] for h in hubs}
    unplaced = []
    for row in run.villages.select_related("village"):
        if row.hub_id is None:
            unplaced.append(place(row.village))
        else:
            members[row.hub_id].append((place(row.village), row.km))
    groups = [(place(h.village), members[h.pk]) for h in hubs]
    return draw(groups, unplaced, limit_km=run.params.get("max_km"))


def alliance_map(alliance, members) -> dict | None:
    """One alliance: its hub and its current member villages."""
    from .planner import road_km

    hub = alliance.hub

    def km(village) -> float:
        if village.pk == hub.pk or None in (village.lng, village.lat, hub.lng, hub.lat):
            return 0.0
        return road_km(village.lng, village.lat, hub.lng, hub.lat)

    return draw([(place(hub), [(place(m.village), km(m.village)) for m in members])])

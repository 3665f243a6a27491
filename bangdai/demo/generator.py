"""The deterministic demo dataset: villages under the real townships, cadres, and one account per role."""

import csv
import datetime as dt
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from stdnum.cn import ric

from bangdai.accounts.choices import Role
from bangdai.accounts.models import RoleAssignment, User
from bangdai.core.cache import REGION_COUNTS, bump
from bangdai.people.choices import (
    CadreType,
    Education,
    Gender,
    HistoryAction,
    PoliticalStatus,
    Position,
    Rank,
)
from bangdai.people.models import Person, PersonChange
from bangdai.people.protection import blind_index, mask_id_number, mask_phone
from bangdai.regions import services as region_services
from bangdai.regions.choices import Kind, Level
from bangdai.regions.models import Region

from .names import FEMALE_CHARS, MALE_CHARS, NEUTRAL_CHARS, SURNAMES
from .pool import build_pool
from .practice import build_practice

DEMO_PASSWORD = "bangdai-demo-2026"  # noqa: S105  printed in the README; demo databases only
SEED = 2004  # the year 上墅乡 began 导师帮带
SCALES = {
    "county": [
        "330523",
        "330521",
    ],  # 安吉县 and 德清县: two counties, so two county admins each see their own
    "city": ["330500"],  # 湖州市
    "province": ["330000"],
}
VILLAGE_CADRES = 4  # per village or community
TOWNSHIP_CADRES = 17  # per township-level unit
TODAY = dt.date(2026, 11, 1)

# (username, role, region code, display name); the mentor and apprentice also get a cadre record.
ACCOUNTS = [
    ("province", Role.ORG_ADMIN, "330000", "省委组织部 管理员"),
    ("huzhou", Role.ORG_ADMIN, "330500", "湖州市委组织部 管理员"),
    ("anji", Role.ORG_ADMIN, "330523", "安吉县委组织部 管理员"),
    ("deqing", Role.ORG_ADMIN, "330521", "德清县委组织部 管理员"),
    ("shangshu", Role.TOWNSHIP, "330523205", "上墅乡党委 组织委员"),
    ("mentor", Role.MENTOR, None, ""),
    ("apprentice", Role.APPRENTICE, None, ""),
    ("auditor", Role.AUDITOR, "330500", "湖州市 审计人员"),
]


@dataclass
class DemoReport:
    villages: int = 0
    cadres: int = 0
    accounts: list[str] = field(default_factory=list)
    pool: dict[str, int] = field(default_factory=dict)  # programmes, mentors, apprentices, pairings by state
    practice: dict[str, int] = field(
        default_factory=dict
    )  # activities, plans, assignments, classes, alliances
    seconds: dict[str, float] = field(default_factory=dict)


def _weighted_surnames(rng: random.Random, k: int) -> list[str]:
    names, weights = zip(*SURNAMES, strict=True)
    return rng.choices(names, weights=weights, k=k)


class Generator:
    def __init__(self, scale: str):
        if scale not in SCALES:
            raise ValueError(f"unknown scale {scale}")
        self.scale = scale
        self.rng = random.Random(SEED)
        self.report = DemoReport()
        self.used_ids: set[str] = set()

    # ------------------------------------------------------------------ regions
    def scope_regions(self) -> list[Region]:
        return list(Region.objects.current().filter(code__in=SCALES[self.scale]))

    def townships(self) -> list[Region]:
        result: list[Region] = []
        for root in self.scope_regions():
            result.extend(
                Region.objects.current().in_subtree(root.path).filter(depth=Level.TOWNSHIP).order_by("path")
            )
        return result

    def village_rows(self) -> list[dict[str, str]]:
        """Names from the shipped list under their real township; synthetic codes in the NBS ranges."""
        names_by_township: dict[tuple[str, str], list[str]] = defaultdict(list)
        pool_by_county: dict[str, list[str]] = defaultdict(list)
        path = Path(settings.BANGDAI["DATA_DIR"]) / "zhejiang" / "village_names.csv"
        with open(path, encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                names_by_township[(row["county_code"], row["township_name"])].append(row["name"])
                pool_by_county[row["county_code"]].append(row["name"])
        stems = {}
        for (county, township), names in names_by_township.items():
            stems[(county, township.removesuffix("街道").removesuffix("镇").removesuffix("乡"))] = names
        counties = {r.path: r for r in Region.objects.filter(depth=Level.COUNTY)}
        rows: list[dict[str, str]] = []
        for township in self.townships():
            county = counties[township.path[:15]]
            rng = random.Random(f"{SEED}-{township.code}")
            names = names_by_township.get((county.code, township.name)) or stems.get(
                (county.code, township.name.removesuffix("街道").removesuffix("镇").removesuffix("乡"))
            )
            if not names:
                pool = pool_by_county.get(county.code) or pool_by_county["330523"]
                names = sorted(set(rng.sample(pool, k=min(len(pool), rng.randint(8, 24)))))
            t_lng, t_lat = self._jitter(rng, county.lng, county.lat, 0.16)
            communities = [n for n in names if n.endswith(("社区", "居委会"))]
            villages = [n for n in names if n not in communities]
            for offset, group in ((1, communities), (200, villages)):
                for i, name in enumerate(dict.fromkeys(group)):
                    if offset + i > (199 if offset == 1 else 399):
                        break
                    lng, lat = self._jitter(rng, t_lng, t_lat, 0.035)
                    rows.append(
                        {
                            "code": f"{township.code}{offset + i:03d}",
                            "name": name,
                            "parent_code": township.code,
                            "kind": "社区" if offset == 1 else "村",
                            "lng": f"{lng:.6f}",
                            "lat": f"{lat:.6f}",
                            "urban_rural_class": ("111" if township.kind == Kind.SUBDISTRICT else "121")
                            if offset == 1
                            else rng.choice(["210", "220", "220", "220"]),
                        }
                    )
        return rows

    @staticmethod
    def _jitter(
        rng: random.Random, lng: float | None, lat: float | None, radius: float
    ) -> tuple[float, float]:
        lng, lat = lng or 120.15, lat or 30.27
        return lng + rng.uniform(-radius, radius), lat + rng.uniform(-radius, radius) * 0.85

    def load_regions(self) -> None:
        start = time.perf_counter()
        if not Region.objects.filter(depth=Level.PROVINCE).exists():
            region_services.load_divisions()
        region_services.load_abolished()
        rows = self.village_rows()
        report = region_services.import_villages(rows, source="demo")
        self.place_townships(rows)
        self.report.villages = report.created + report.updated
        self.report.seconds["regions"] = time.perf_counter() - start

    @staticmethod
    def place_townships(rows: list[dict[str, str]]) -> None:
        """The official list has no township coordinates: a demo township sits at the centre of its villages, so
        its cadres are placed (on the matching map, and for the distance rule) near them, not at the county's
        centroid."""
        points: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for row in rows:
            points[row["parent_code"]].append((float(row["lng"]), float(row["lat"])))
        townships = list(Region.objects.current().filter(code__in=points, lng__isnull=True))
        for township in townships:
            spots = points[township.code]
            township.lng = round(sum(p[0] for p in spots) / len(spots), 6)
            township.lat = round(sum(p[1] for p in spots) / len(spots), 6)
        Region.objects.bulk_update(townships, ["lng", "lat"], batch_size=2000)

    # ------------------------------------------------------------------ people
    def _id_number(self, rng: random.Random, county_code: str, birth: dt.date, gender: str) -> str:
        while True:
            seq = rng.randint(0, 99) * 10 + rng.choice(
                [1, 3, 5, 7, 9] if gender == Gender.MALE else [0, 2, 4, 6, 8]
            )
            body = f"{county_code}{birth:%Y%m%d}{seq:03d}"
            number = body + ric.calc_check_digit(body + "0")  # the function ignores the last character
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number

    @staticmethod
    def _phone(rng: random.Random) -> str:
        prefix = rng.choice(
            [
                "130",
                "131",
                "133",
                "135",
                "136",
                "137",
                "138",
                "139",
                "150",
                "151",
                "152",
                "157",
                "158",
                "159",
                "177",
                "180",
                "181",
                "186",
                "187",
                "188",
                "189",
                "191",
                "199",
            ]
        )
        return prefix + f"{rng.randint(0, 99_999_999):08d}"

    def _name(self, rng: random.Random, gender: str) -> str:
        chars = MALE_CHARS if gender == Gender.MALE else FEMALE_CHARS
        given = rng.choice(chars + NEUTRAL_CHARS)
        if rng.random() < 0.7:
            given += rng.choice(chars)
        return _weighted_surnames(rng, 1)[0] + given

    def _person(
        self, rng: random.Random, region: Region, county_code: str, *, village: bool, index: int
    ) -> Person:
        if village:
            position = [
                Position.ONE_SHOULDER,
                Position.COMMITTEE_MEMBER,
                Position.COMMITTEE_MEMBER,
                Position.RESERVE,
            ][index % 4]
            if region.kind == Kind.COMMUNITY:
                position = Position.PARTY_SECRETARY if index == 0 else Position.COMMUNITY_STAFF
            age = rng.randint(38, 58) if index == 0 else rng.randint(24, 50)
            gender = Gender.MALE if rng.random() < (0.8 if index == 0 else 0.6) else Gender.FEMALE
            cadre_type = (
                CadreType.COMMUNITY_WORKER if region.kind == Kind.COMMUNITY else CadreType.VILLAGE_CADRE
            )
            if index == 3 and rng.random() < 0.3:
                cadre_type = CadreType.RUXIANG_YOUTH
            education = rng.choices(
                [Education.BACHELOR, Education.COLLEGE, Education.SECONDARY, Education.JUNIOR], [3, 4, 3, 1]
            )[0]
            org_unit = region.name + ("党委" if region.kind == Kind.COMMUNITY else "村党组织")
            rank = ""
        else:
            leader = index < 3
            position = Position.TOWNSHIP_LEADER if leader else Position.TOWNSHIP_STAFF
            if index == 3:
                position = Position.FIRST_SECRETARY
            age = rng.randint(35, 52) if leader else rng.randint(22, 38)
            gender = Gender.MALE if rng.random() < 0.55 else Gender.FEMALE
            cadre_type = rng.choices(
                [
                    CadreType.TOWNSHIP_CIVIL_SERVANT,
                    CadreType.TOWNSHIP_PUBLIC_INSTITUTION,
                    CadreType.XUANDIAOSHENG,
                    CadreType.SECONDED,
                ],
                [6, 3, 2, 1],
            )[0]
            education = rng.choices(
                [Education.POSTGRADUATE, Education.BACHELOR, Education.COLLEGE], [2, 7, 1]
            )[0]
            org_unit = region.name + ("党工委" if region.kind == Kind.SUBDISTRICT else "党委")
            rank = Rank.SECTION if leader else rng.choice([Rank.CLERK, Rank.CLERK, Rank.DEPUTY_SECTION])
        birth = TODAY - dt.timedelta(days=age * 365 + rng.randint(0, 364))
        party = rng.random() < (0.92 if position != Position.RESERVE else 0.6)
        political = (
            PoliticalStatus.PARTY_MEMBER
            if party
            else rng.choice(
                [PoliticalStatus.LEAGUE_MEMBER, PoliticalStatus.MASSES, PoliticalStatus.PROBATIONARY]
            )
        )
        entry = birth + dt.timedelta(days=rng.randint(21 * 365, max(21 * 365 + 1, (age - 1) * 365)))
        # Most were born in the county they serve; the rest elsewhere in the province.
        birth_county = county_code if rng.random() < 0.85 else rng.choice(self.county_codes)
        id_number = self._id_number(rng, birth_county, birth, gender)
        phone = self._phone(rng)
        return Person(
            name=self._name(rng, gender),
            gender=gender,
            birth_date=birth,
            id_number=id_number,
            id_number_index=blind_index(id_number),
            phone=phone,
            phone_index=blind_index(phone),
            political_status=political,
            party_join_date=birth + dt.timedelta(days=rng.randint(19 * 365, 30 * 365)) if party else None,
            education=education,
            region=region,
            org_unit=org_unit,
            position=position,
            rank=rank,
            cadre_type=cadre_type,
            entry_date=min(entry, TODAY - dt.timedelta(days=30)),
        )

    def load_people(self) -> None:
        start = time.perf_counter()
        batch: list[Person] = []
        counties = {r.path: r.code for r in Region.objects.filter(depth=Level.COUNTY)}
        self.county_codes = sorted(counties.values())
        for root in self.scope_regions():
            units = (
                Region.objects.current()
                .in_subtree(root.path)
                .filter(depth__gte=Level.TOWNSHIP)
                .order_by("path")
            )
            for unit in units.iterator(chunk_size=5000):
                rng = random.Random(f"{SEED}-people-{unit.code}")
                village = unit.depth == Level.VILLAGE
                count = VILLAGE_CADRES if village else TOWNSHIP_CADRES
                county_code = counties[unit.path[:15]]
                batch.extend(
                    self._person(rng, unit, county_code, village=village, index=i) for i in range(count)
                )
                if len(batch) >= 5000:
                    self._flush(batch)
                    batch = []
        self._flush(batch)
        self.report.seconds["cadres"] = time.perf_counter() - start

    def _flush(self, batch: list[Person]) -> None:
        if not batch:
            return
        created = Person.objects.bulk_create(batch, batch_size=1000)
        PersonChange.objects.bulk_create(
            [
                PersonChange(
                    person=p,
                    person_name=p.name,
                    action=HistoryAction.CREATED,
                    changes={
                        "name": [None, p.name],
                        "id_number": [None, mask_id_number(p.id_number)],
                        "phone": [None, mask_phone(p.phone)],
                        "region": [None, f"{p.region.code} {p.region.name}"],
                    },
                )
                for p in created
            ],
            batch_size=1000,
        )
        self.report.cadres += len(created)

    # ------------------------------------------------------------------ accounts
    def load_accounts(self) -> None:
        village = Region.objects.current().get(code__startswith="330523205", name="刘家塘村")
        other = (
            Region.objects.current()
            .filter(code__startswith="330523205", depth=Level.VILLAGE)
            .exclude(pk=village.pk)
            .order_by("path")
            .first()
        )
        mentor_person = Person.objects.filter(region=village).order_by("pk").first()
        apprentice_person = Person.objects.filter(region=other).order_by("-birth_date").first()
        password = make_password(DEMO_PASSWORD)  # hashed once: PBKDF2 is slow on purpose
        for username, role, code, display in ACCOUNTS:
            person = None
            region = None
            if role == Role.MENTOR:
                person, region = mentor_person, village
            elif role == Role.APPRENTICE:
                person, region = apprentice_person, other
            else:
                region = Region.objects.current().get(code=code)
            user = User(
                username=username,
                display_name=display or (person.name if person else username),
                person=person,
            )
            user.password = password
            user.save()
            RoleAssignment.objects.create(user=user, role=role, region=region)
            self.report.accounts.append(username)

    # ------------------------------------------------------------------ programmes, mentors, pairings
    def load_pool(self) -> None:
        """Programmes, the mentor pool, apprentices and pairings (bangdai.demo.pool), after the accounts."""
        start = time.perf_counter()
        self.report.pool = build_pool(SCALES[self.scale], seed=SEED, today=TODAY)
        self.report.seconds["pool"] = time.perf_counter() - start

    def load_practice(self, today: dt.date | None = None) -> None:
        """A year of mentoring in practice up to ``today`` (bangdai.demo.practice), after the pool."""
        start = time.perf_counter()
        self.report.practice, steps = build_practice(seed=SEED, today=today or timezone.localdate())
        self.report.seconds["practice"] = time.perf_counter() - start
        self.report.seconds.update({f"  {k}": v for k, v in steps.items()})

    @transaction.atomic
    def run(self, today: dt.date | None = None) -> DemoReport:
        self.load_regions()
        self.load_people()
        self.load_accounts()
        self.load_pool()
        self.load_practice(today)
        bump(REGION_COUNTS)
        return self.report


def has_demo_data() -> bool:
    return User.objects.filter(username="province").exists()

"""The demo's programmes: a vetted mentor pool, the apprentice registry and pairings in every state.

Everything is planned in memory from the demo cadres, one seeded RNG per programme, replaying the services'
state machines (``bangdai.mentors.services``, ``bangdai.pairings.services``) step by step with dates in 2026 up
to the demo's ``TODAY``. So every mentor and pairing carries the event chain the services would have written,
and the invariants hold by construction: a mentor's ``load`` is the number of their open pairings and never
exceeds their capacity, an apprentice has at most one open pairing, and an apprentice's status follows their
latest pairing. Ids are given while planning and the rows written with one ``executemany`` per few thousand
(as ``loaddata`` does, sequences reset afterwards): ``bulk_create`` took about six times as long here.

Numbers per county programme: one village-level mentor for about every second village (its secretary), two
township-level mentors per township (its two most senior leaders, 老乡镇 from 45), and about 1.4 apprentices per
mentor (Anji's 788 / 563), taken from the cadres aged 35 or under plus a few newly elected secretaries (new to
the post, so eligible at any age). The city programme has 4 municipal mentors per county with about 5
apprentices each, the provincial one 100 名师 with about 10 each.

Mentors were appointed in 2026 (most in the January campaign), so no 12-month term has run out by ``TODAY``:
graduations (出师) are early ones after at least six months, with the reason recorded.
"""

import datetime as dt
import itertools
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.color import no_style
from django.db import connection
from django.db.models import CharField, DateField, DateTimeField, JSONField, Max, Q, TextField

from bangdai.accounts.choices import Role
from bangdai.accounts.models import RoleAssignment, User
from bangdai.apprentices.choices import ApprenticeCategory as AC
from bangdai.apprentices.choices import ApprenticeStatus
from bangdai.apprentices.models import Apprentice
from bangdai.core.choices import ContentArea as CA
from bangdai.mentors.choices import MentorAction as MA
from bangdai.mentors.choices import MentorStatus as MS
from bangdai.mentors.choices import MentorTier, MentorTitle, NominationSource
from bangdai.mentors.models import Mentor, MentorEvent, PublicityObjection
from bangdai.mentors.services import add_working_days
from bangdai.pairings.choices import OPEN_STATES, ConflictKind, PairingAction, PairingMode
from bangdai.pairings.choices import PairingStatus as PS
from bangdai.pairings.models import ConflictDeclaration, Pairing, PairingEvent, PairingMentor
from bangdai.pairings.services import _months_later, default_pledge_text
from bangdai.people.choices import CadreType, Position
from bangdai.people.models import Person
from bangdai.programmes.models import Programme, ProgrammeRules
from bangdai.programmes.policy import Policy
from bangdai.regions.choices import Kind, Level
from bangdai.regions.models import Region, subtree_q

TZ = ZoneInfo(settings.TIME_ZONE)
YEAR = 2027  # the programmes' year, as in their names
RULES_V2_ON = dt.date(2026, 6, 15)  # 安吉县 allows mentor teams from this day (rules version 2)
TEAMS_COUNTY = "330523"
CITY_WITH_ACCOUNT = "330500"  # 湖州市: its programme also comes with the province scale
PROVINCIAL_MENTORS = 100
MUNICIPAL_MENTORS_PER_COUNTY = 4
APPRENTICES_PER_MENTOR = {Level.COUNTY: 1.4, Level.CITY: 5, Level.PROVINCE: 10}

# Mentor states of one programme: shares, and at least one of each in a pool of 40 or more.
MENTOR_STATES = {
    MS.SUBMITTED: 0.025,
    MS.UNIT_RECOMMENDED: 0.025,
    MS.VETTING: 0.025,
    MS.COLLECTIVE_REVIEW: 0.02,
    MS.PUBLICITY: 0.02,
    MS.REJECTED: 0.05,
    MS.SUSPENDED: 0.015,
    MS.RETIRED: 0.015,
    MS.DISMISSED: 0.01,
}
REVIEW_PATH = [MS.SUBMITTED, MS.UNIT_RECOMMENDED, MS.VETTING, MS.COLLECTIVE_REVIEW, MS.PUBLICITY, MS.ACTIVE]
STEP_ACTION = {
    MS.UNIT_RECOMMENDED: MA.RECOMMEND,
    MS.VETTING: MA.VET,
    MS.COLLECTIVE_REVIEW: MA.REVIEW,
    MS.PUBLICITY: MA.PUBLICISE,
    MS.ACTIVE: MA.APPOINT,
}
# Days between review steps: the January campaign (集中选聘) moves fast, later nominations at the usual pace.
CAMPAIGN_GAPS = {
    MS.UNIT_RECOMMENDED: (1, 4),
    MS.VETTING: (2, 6),
    MS.COLLECTIVE_REVIEW: (4, 10),
    MS.PUBLICITY: (1, 4),
}
USUAL_GAPS = {
    MS.UNIT_RECOMMENDED: (2, 7),
    MS.VETTING: (3, 10),
    MS.COLLECTIVE_REVIEW: (7, 21),
    MS.PUBLICITY: (2, 7),
}

# What became of each apprentice (weights); a story that finds no mentor falls back to FALLBACK in turn.
STORIES = [
    ("none", 9),
    ("proposed", 6),
    ("confirmed", 5),
    ("active", 52),
    ("extended", 4),
    ("completed", 7),
    ("terminated", 4),
    ("transferred", 4),
    ("declined", 3),
    ("declined_then_active", 4),
]
FALLBACK = ["active", "proposed", "none"]

VILLAGE_SPECIALTIES = [
    "民宿",
    "村歌治村",
    "茶产业",
    "竹产业",
    "共富工坊",
    "垃圾分类",
    "矛盾调解",
    "来料加工",
    "电商直播",
    "强村公司",
    "土地流转",
    "乡村旅游",
    "美丽乡村建设",
    "文化礼堂",
    "农家乐",
    "村级集体经济",
    "党建联建",
]
LOCAL_SPECIALTIES = {
    "330523": ["白茶产业", "竹产业", "民宿", "村歌治村", "两山转化", "乡村旅游"],
    "330521": ["民宿", "洋家乐", "数字乡村", "乡村旅游", "湖羊养殖"],
    "330522": ["湖羊养殖", "新能源产业", "乡村旅游"],
    "330502": ["湖笔文化", "乡村旅游", "数字乡村"],
    "330503": ["桑基鱼塘", "古镇旅游", "湖羊养殖"],
}
COMMUNITY_SPECIALTIES = [
    "网格治理",
    "垃圾分类",
    "矛盾调解",
    "物业管理",
    "居家养老服务",
    "共享社区",
    "社区志愿服务",
]
TOWNSHIP_SPECIALTIES = [
    "矛盾调解",
    "信访化解",
    "招商引资",
    "安全生产",
    "党建联建",
    "项目推进",
    "征地拆迁",
    "防汛防台",
]
EXPERTISE = list(CA.values)
TITLE_ORDER = list(MentorTitle.values)
COUNTY_TITLES = {MentorTitle.XINGCUN_MINGSHI, MentorTitle.ZHISHE_MINGSHI, MentorTitle.DANDANG_HAO_ZHISHU}
CATEGORY_ORDER = list(AC.values)

REJECT_REASONS = [
    "组织考察中群众评议一般，暂不具备导师条件",
    "近三年年度考核中有“基本称职”等次",
    "集体研究认为帮带经验尚浅，建议下一批次再推荐",
    "本人因工作任务繁重申请撤回推荐",
    "所在村集体经济连续两年未达消薄标准",
]
SUSPEND_REASONS = [
    "因病住院治疗，暂停帮带（预计三个月）",
    "挂职交流期间暂停导师职责",
    "接受组织函询期间暂停导师职责",
]
RETIRE_REASONS = [
    "本人因年龄原因申请退出导师库",
    "工作调动至县外，本人申请退出",
    "因身体原因本人申请退出",
]
DISMISS_REASONS = [
    "连续两个季度帮带活动完成率低于50%，传不好、帮不了、带不动，经集体研究予以清退",
    "违反导师负面清单（插手徒弟所在村工程项目），经集体研究予以清退",
    "受到党纪处分，不再具备导师资格，予以清退",
    "季度检查发现帮带台账弄虚作假，经集体研究予以清退",
]
OBJECTIONS = [
    ("群众来信（匿名）", "反映该同志所在村集体资产处置程序不规范"),
    ("村民代表（实名）", "反映该同志工作作风简单粗暴，群众意见较大"),
    ("12380举报电话", "反映该同志亲属承接村级工程项目"),
]
OBJECTION_CLEARED = "经县委组织部核查，反映问题不属实，已向反映人反馈。"
OBJECTION_UPHELD = "经核查，反映问题基本属实，不予聘任。"
TERMINATE_REASONS = [
    "徒弟工作调动至县直单位",
    "徒弟辞去村干部职务",
    "师徒双方申请解除结对（工作领域差异较大）",
    "徒弟考录为公务员，离开本村",
    "组织调整：徒弟交流至其他乡镇任职",
]
TRANSFER_REASONS = [
    "徒弟岗位调整，改由新导师帮带",
    "原导师分工调整、联系村变更，重新结对",
    "双方专业方向不匹配，经研究调整结对",
]
DECLINE_REASONS = {
    "mentor": ["近期承担重点项目任务，无法保证帮带时间", "已带徒弟较多，建议另行安排"],
    "apprentice": ["希望拜本村党组织书记为师", "工作地点相距较远，希望就近安排导师"],
}
EXTEND_REASONS = ["半年考核为“不合格”，经研究延长帮带期6个月", "徒弟休产假期间帮带中断，延长帮带期6个月"]
COMPLETE_NOTES = {
    "village": [
        "提前出师：当选村党组织书记",
        "提前出师：半年师徒捆绑考核优秀",
        "提前出师：已独立牵头共富项目",
    ],
    "township": [
        "提前出师：提任副科级领导职务",
        "提前出师：半年师徒捆绑考核优秀",
        "提前出师：已成长为单位骨干",
    ],
}
CONFLICT_NOTES = {
    ConflictKind.HOUSEHOLD: ["系导师近亲属（三代以内旁系血亲）", "与导师系姻亲关系"],
    ConflictKind.SUPERIOR: ["导师分管徒弟所在办公室，系直接上下级"],
    ConflictKind.OTHER: ["与导师合伙经营农家乐，存在经济往来"],
}


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _workday(day: dt.date) -> dt.date:
    """The next working day from ``day`` (organisation departments act on weekdays)."""
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _workday_back(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def _years_later(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


class Clock:
    """Strictly increasing office-hours times for one timeline."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.last: dt.datetime | None = None

    def at(self, day: dt.date) -> dt.datetime:
        t = dt.datetime.combine(day, dt.time(8, 30), tzinfo=TZ) + dt.timedelta(
            minutes=self.rng.randint(0, 510)
        )
        if self.last is not None and t <= self.last:
            t = self.last + dt.timedelta(minutes=self.rng.randint(3, 40))
        self.last = t
        return t

    def tick(self) -> dt.datetime:
        self.last += dt.timedelta(seconds=1)
        return self.last


@dataclass(slots=True)
class Cadre:
    pk: int
    name: str
    birth: dt.date
    entry: dt.date
    position: str
    cadre_type: str
    region_id: int
    path: str
    place: str
    kind: str
    index: int  # order within the unit: 0 is the village secretary, 0–2 the township leaders

    @property
    def is_village(self) -> bool:
        return len(self.path) == 5 * Level.VILLAGE


@dataclass(eq=False)
class MentorPlan:
    obj: Mentor
    cadre: Cadre
    events: list = field(default_factory=list)
    objections: list = field(default_factory=list)
    ws: dt.date | None = None  # first and last day the mentor can take part in a pairing
    we: dt.date | None = None
    end_reason: str = ""
    locked: bool = False  # kept out of the random allocation (demo mentor, departed mentors)
    total: int = 0  # pairings in any state
    end_at: dt.datetime | None = None  # when a retired or dismissed mentor left


@dataclass(eq=False)
class ApprenticePlan:
    obj: Apprentice
    cadre: Cadre
    pairings: list = field(default_factory=list)


@dataclass(eq=False)
class Prog:
    obj: Programme
    region: Region
    actor: User | None
    rng: random.Random
    policy: Policy
    versions: list[tuple[int, dt.date]]
    key_len: int
    mentors: list[MentorPlan] = field(default_factory=list)
    apprentices: list[ApprenticePlan] = field(default_factory=list)
    pairings: list = field(default_factory=list)
    conflicts: list = field(default_factory=list)
    rules: list[ProgrammeRules] = field(default_factory=list)
    pool: list[MentorPlan] = field(default_factory=list)  # appointed mentors open to the random allocation
    by_key: dict = field(default_factory=dict)  # the pool by township (county programme), county or city

    def version_on(self, day: dt.date) -> int:
        return max(v for v, since in self.versions if since <= day)

    def max_mentors_on(self, day: dt.date) -> int:
        return 2 if self.region.code == TEAMS_COUNTY and day >= RULES_V2_ON else 1


class PairPlan:
    """A pairing replayed through the workflow of ``bangdai.pairings.services``."""

    def __init__(self, builder: "PoolBuilder", prog: Prog, ap: ApprenticePlan, mentors: list[MentorPlan]):
        self.b, self.prog, self.ap, self.mentors = builder, prog, ap, mentors
        self.clock = Clock(prog.rng)
        self.events: list[tuple] = []
        self.confirmed: dict = {}
        self.status = ""
        self.replaces: PairPlan | None = None
        self.obj = Pairing(
            programme_id=prog.obj.pk,
            apprentice_id=ap.obj.pk,
            region_id=ap.obj.region_id,
            mode=PairingMode.MANY_TO_ONE if len(mentors) > 1 else PairingMode.ONE_TO_ONE,
            term_months=prog.policy.term_months,
            proposed_by_id=prog.actor.pk if prog.actor else None,
        )

    def _event(self, action, before, after, at, actor, reason=""):
        self.events.append((action, before, after, at, actor, reason))
        self.status = after

    def propose(self, day: dt.date, *, replaces=None, reason="", note=""):
        at = self.clock.at(day)
        self.obj.created_at = at
        self.obj.rules_version = self.prog.version_on(day)
        self.obj.note = note or reason
        self.replaces = replaces
        action = PairingAction.REPAIR if replaces else PairingAction.PROPOSE
        self._event(action, "", PS.PROPOSED, at, self.prog.actor, reason or note)

    def sides(self) -> list:
        return ["apprentice", *range(len(self.mentors))]

    def actor_of(self, side):
        person = self.ap.cadre.pk if side == "apprentice" else self.mentors[side].cadre.pk
        return self.b.users_by_person.get(person)

    def confirm(self, side, day: dt.date):
        at = self.clock.at(day)
        self.confirmed[side] = at
        if side == "apprentice":
            self.obj.apprentice_confirmed_at = at
        self._event(PairingAction.CONFIRM, PS.PROPOSED, PS.PROPOSED, at, self.actor_of(side))
        if len(self.confirmed) == len(self.sides()):
            self._event(
                PairingAction.CONFIRMED, PS.PROPOSED, PS.CONFIRMED, self.clock.tick(), self.actor_of(side)
            )

    def confirm_all(self, start: dt.date) -> dt.date:
        rng = self.prog.rng
        days = sorted((start + dt.timedelta(days=rng.randint(0, 5)), i) for i, _ in enumerate(self.sides()))
        for day, i in days:
            self.confirm(self.sides()[i], day)
        return days[-1][0]

    def sign(self, day: dt.date):
        rng, cadre = self.prog.rng, self.ap.cadre
        township = self.b.units.get(cadre.path[:20])
        county = self.b.units.get(cadre.path[:15])
        leaders = self.b.leaders.get(cadre.path[:20], [])
        places = [f"{township.name}党群服务中心", f"{county.name}委党校"]
        if cadre.is_village:
            places.append(f"{cadre.place}文化礼堂")
        if county.code == "330523":
            places = [f"{township.name}师说馆"] * 3 + places
        if self.prog.region.depth == Level.PROVINCE:
            places = ["浙江省委党校", f"{self.mentors[0].cadre.place}现场教学点"]
        elif self.prog.region.depth == Level.CITY:
            places = [f"{self.prog.region.name}委党校", f"{self.mentors[0].cadre.place}现场教学点"]
        witnesses = []
        if leaders:
            witnesses.append(
                f"{township.name}{'党工委' if township.kind == Kind.SUBDISTRICT else '党委'}书记 {leaders[0]}"
            )
            if len(leaders) > 1 and rng.random() < 0.7:
                witnesses.append(f"组织委员 {leaders[1]}")
        if not witnesses:
            witnesses.append(f"{county.name}委组织部")
        at = self.clock.at(day)
        o = self.obj
        o.pledge_signed_on = o.start_date = day
        o.planned_end_date = _months_later(day, o.term_months)
        o.ceremony_place = rng.choice(places)
        o.witnesses = witnesses
        names = [m.cadre.name for m in self.mentors]
        o.pledge_text = default_pledge_text(_PledgeView(names, o.term_months))
        self._event(PairingAction.SIGN, PS.CONFIRMED, PS.ACTIVE, at, self.prog.actor)

    def extend(self, day: dt.date, months: int, reason: str):
        o = self.obj
        o.term_months += months
        o.planned_end_date = _months_later(o.start_date, o.term_months)
        self._event(
            PairingAction.EXTEND, self.status, PS.EXTENDED, self.clock.at(day), self.prog.actor, reason
        )

    def _end(self, action, to, day, reason, actor):
        self.obj.ended_on, self.obj.end_reason = day, reason
        self._event(action, self.status, to, self.clock.at(day), actor, reason)

    def complete(self, day: dt.date, note: str):
        self._end(PairingAction.COMPLETE, PS.COMPLETED, day, note, self.prog.actor)

    def terminate(self, day: dt.date, reason: str):
        self._end(PairingAction.TERMINATE, PS.TERMINATED, day, reason, self.prog.actor)

    def decline(self, day: dt.date, side, reason: str):
        self._end(PairingAction.DECLINE, PS.DECLINED, day, reason, self.actor_of(side))


class _PledgeView:
    """Just enough of a pairing for ``default_pledge_text``: the mentors' names and the term."""

    def __init__(self, names: list[str], term_months: int):
        self.term_months = term_months
        self.mentors = SimpleNamespace(
            select_related=lambda *_: [SimpleNamespace(person=SimpleNamespace(name=n)) for n in names]
        )


def _sqlite_datetime(value: dt.datetime) -> str:
    return str(value.astimezone(dt.UTC).replace(tzinfo=None))


def _insert(model, names: list[str], rows, chunk: int = 5000) -> None:
    """INSERT rows of plain values, one executemany per chunk, adapting values for the database as the ORM
    does (dates, times, JSON, choices). Several times faster than bulk_create on these wide tables."""
    fields = [model._meta.get_field(name) for name in names]
    ops = connection.ops
    sqlite = connection.vendor == "sqlite"
    adapt = []
    for f in fields:
        if isinstance(f, DateTimeField):
            # SQLite keeps naive UTC text, as ops.adapt_datetimefield_value writes it (but without its per-value
            # settings look-ups, a third of the time of writing the events).
            adapt.append(_sqlite_datetime if sqlite and settings.USE_TZ else ops.adapt_datetimefield_value)
        elif isinstance(f, DateField):
            adapt.append(ops.adapt_datefield_value)
        elif isinstance(f, JSONField):
            adapt.append(lambda v, f=f: f.get_db_prep_save(v, connection))
        elif isinstance(f, CharField | TextField):
            adapt.append(str)  # choices are str enums; the drivers want plain str
        else:
            adapt.append(None)
    columns = ", ".join(ops.quote_name(f.column) for f in fields)
    table = ops.quote_name(model._meta.db_table)
    values = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({values})"  # noqa: S608  names from the model, quoted
    with connection.cursor() as cursor:
        for batch in itertools.batched(rows, chunk):
            cursor.executemany(
                sql,
                [
                    [a(v) if a and v is not None else v for a, v in zip(adapt, row, strict=True)]
                    for row in batch
                ],
            )


def _insert_objects(model, objects: list) -> None:
    """INSERT unsaved instances whose fields (auto_now ones too, and the id where given) are all set."""
    if not objects:
        return
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and objects[0].pk is None)]
    names = [f.attname for f in fields]
    _insert(model, names, ([getattr(o, n) for n in names] for o in objects))


class PoolBuilder:
    def __init__(self, scope_codes: list[str], *, seed: int, today: dt.date):
        self.scope_codes = scope_codes
        self.seed = seed
        self.today = today
        self.campaign = dt.date(2026, 1, 5)

    # ------------------------------------------------------------------ inputs
    def load(self) -> None:
        roots = list(Region.objects.current().filter(code__in=self.scope_codes, depth__lte=Level.COUNTY))
        self.roots = sorted(roots, key=lambda r: r.path)
        upper = Region.objects.current().filter(depth__lte=Level.TOWNSHIP)
        self.units = {r.path: r for r in upper}
        q = Q()
        for root in self.roots:
            q |= subtree_q(root.path, "region__path")
        rows = (
            Person.objects.filter(q)
            .order_by("region__path", "pk")
            .values_list(
                "pk",
                "name",
                "birth_date",
                "entry_date",
                "position",
                "cadre_type",
                "region_id",
                "region__path",
                "region__name",
                "region__kind",
            )
        )
        self.by_unit: dict[str, list[Cadre]] = defaultdict(list)
        for row in rows.iterator(chunk_size=5000):
            unit = self.by_unit[row[7]]
            unit.append(Cadre(*row, index=len(unit)))
        self.children: dict[str, list[str]] = defaultdict(list)
        for path in sorted(set(self.units) | set(self.by_unit)):
            if len(path) > 5:
                self.children[path[:-5]].append(path)
        self.leaders = {
            path: [c.name for c in cadres if c.position == Position.TOWNSHIP_LEADER]
            for path, cadres in self.by_unit.items()
            if len(path) == 5 * Level.TOWNSHIP
        }
        self.admins = {
            a.region.code: a.user
            for a in RoleAssignment.objects.filter(role=Role.ORG_ADMIN).select_related("user", "region")
        }
        self.township_users = {
            a.region.code: a.user
            for a in RoleAssignment.objects.filter(role=Role.TOWNSHIP).select_related("user", "region")
        }
        users = User.objects.filter(username__in=["mentor", "apprentice"]).select_related("person")
        self.demo_users = {u.username: u for u in users}
        self.users_by_person = {u.person_id: u for u in User.objects.filter(person__isnull=False)}
        self.used: set[int] = set()
        self.next_ids = {
            model: model.objects.aggregate(top=Max("id"))["top"] or 0
            for model in (Programme, ProgrammeRules, Mentor, Apprentice, Pairing)
        }

    def office_day(self, day: dt.date) -> dt.date:
        """The organisation department's working day for ``day``: the next one, or the last one before today."""
        forward = _workday(day)
        return forward if forward <= self.today else _workday_back(day)

    def age(self, c: Cadre) -> int:
        return _age(c.birth, self.today)

    def service_years(self, c: Cadre) -> float:
        return (self.today - c.entry).days / 365.25

    def units_under(self, path: str, depth: int) -> list[str]:
        """Paths of the units at ``depth`` under ``path`` (that have cadres, for villages), in path order."""
        level = [path]
        while level and len(level[0]) < 5 * depth:
            level = [child for p in level for child in self.children.get(p, ())]
        return level

    # ------------------------------------------------------------------ programmes
    def programme_regions(self) -> list[Region]:
        counties, cities, province = [], [], []
        for root in self.roots:
            if root.depth == Level.COUNTY:
                counties.append(root)
            else:
                counties.extend(
                    r
                    for path, r in sorted(self.units.items())
                    if r.depth == Level.COUNTY
                    and path.startswith(root.path)
                    and self.units_under(path, Level.TOWNSHIP)
                )
                if root.depth == Level.CITY:
                    cities.append(root)
                else:
                    province.append(root)
                    cities.extend(r for r in self.units.values() if r.code == CITY_WITH_ACCOUNT)
        return counties + cities + province

    def make_programme(self, region: Region) -> Prog:
        rng = random.Random(f"{self.seed}-pool-{region.code}")
        actor = self.admins.get(region.code)
        if region.depth == Level.PROVINCE:
            name = "浙江省兴村(治社)名师帮带"
            description = "省级兴村(治社)名师结对帮带全省村社年轻干部，依托现场教学点开展示范帮带。"
        elif region.depth == Level.CITY:
            name = f"{region.name}{YEAR}年兴村名师帮带"
            description = f"{region.name}委组织部遴选市级兴村名师，跨县结对帮带村社年轻干部。"
        else:
            name = f"{region.name}{YEAR}年乡村年轻干部导师帮带"
            description = (
                f"{region.name}委组织部组织实施：乡镇、村两级导师“一对一”帮带年轻乡镇干部、村社干部和入乡青年，"
                "围绕五个方面帮带内容，实行师徒捆绑考核。"
            )
        created = dt.datetime.combine(_workday(dt.date(2025, 12, rng.randint(1, 20))), dt.time(10), tzinfo=TZ)
        programme = Programme(
            id=self.new_id(Programme),
            name=name,
            region=region,
            year=YEAR,
            description=description,
            created_by=actor,
            created_at=created,
        )
        policy = Policy()
        prog = Prog(
            obj=programme,
            region=region,
            actor=actor,
            rng=rng,
            policy=policy,
            versions=[(1, created.date())],
            key_len=5 * (region.depth + 1),
        )
        prog.rules.append(
            ProgrammeRules(
                id=self.new_id(ProgrammeRules),
                programme=programme,
                version=1,
                data=policy.as_data(),
                created_by=actor,
                created_at=created,
            )
        )
        if region.code == TEAMS_COUNTY:
            prog.versions.append((2, RULES_V2_ON))
            prog.rules.append(
                ProgrammeRules(
                    id=self.new_id(ProgrammeRules),
                    programme=programme,
                    version=2,
                    data={**policy.as_data(), "max_mentors_per_apprentice": 2},
                    note="允许组团帮带：每名徒弟最多由2名导师组团帮带（多对一）",
                    created_by=actor,
                    created_at=dt.datetime.combine(RULES_V2_ON, dt.time(15, 20), tzinfo=TZ),
                )
            )
        return prog

    # ------------------------------------------------------------------ mentors
    def pick_mentors(self, prog: Prog) -> list[tuple[Cadre, str]]:
        """(cadre, tier) of the programme's mentors, in a fixed order."""
        rng, region = prog.rng, prog.region
        demo = self.demo_users.get("mentor")
        demo_pk = demo.person_id if demo else None
        picked: list[tuple[Cadre, str]] = []
        if region.depth == Level.COUNTY:
            for township in self.units_under(region.path, Level.TOWNSHIP):
                leaders = [c for c in self.by_unit[township] if c.position == Position.TOWNSHIP_LEADER]
                for c in sorted(leaders, key=lambda c: c.birth)[:2]:
                    picked.append((c, MentorTier.TOWNSHIP))
                for village in self.units_under(township, Level.VILLAGE):
                    secretary = self.by_unit[village][0]
                    if secretary.pk == demo_pk or rng.random() < 0.5:
                        picked.append((secretary, MentorTier.VILLAGE))
            return [(c, t) for c, t in picked if c.pk not in self.used or c.pk == demo_pk]
        tier = MentorTier.MUNICIPAL if region.depth == Level.CITY else MentorTier.PROVINCIAL
        groups = (
            [(p, MUNICIPAL_MENTORS_PER_COUNTY) for p in self.units_under(region.path, Level.COUNTY)]
            if region.depth == Level.CITY
            else self._spread(self.units_under(region.path, Level.CITY), PROVINCIAL_MENTORS)
        )
        for path, k in groups:
            pool = [
                self.by_unit[v][0]
                for v in self.units_under(path, Level.VILLAGE)
                if self.by_unit[v][0].pk not in self.used and self.age(self.by_unit[v][0]) >= 45
            ]
            picked.extend((c, tier) for c in rng.sample(pool, min(k, len(pool))))
        return picked

    @staticmethod
    def _spread(paths: list[str], total: int) -> list[tuple[str, int]]:
        base, extra = divmod(total, len(paths)) if paths else (0, 0)
        return [(p, base + (1 if i < extra else 0)) for i, p in enumerate(paths)]

    def mentor_statuses(self, prog: Prog, n: int) -> list[str]:
        states: list[str] = []
        for status, share in MENTOR_STATES.items():
            states += [status] * max(1 if n >= 40 else 0, round(share * n))
        states = states[:n]
        states += [MS.ACTIVE] * (n - len(states))
        prog.rng.shuffle(states)
        return states

    def profile(self, prog: Prog, c: Cadre, tier: str) -> dict:
        rng = prog.rng
        county = c.path[:15]
        titles: list[str] = []
        batch = None
        if tier == MentorTier.TOWNSHIP:
            specialties = rng.sample(TOWNSHIP_SPECIALTIES, rng.randint(1, 3))
            if self.age(c) >= 45:
                titles.append(MentorTitle.LAO_XIANGZHEN)
            if rng.random() < 0.06:
                titles.append(MentorTitle.LIANGYOU_YIXIAN)
        else:
            community = c.kind == Kind.COMMUNITY
            pool = (
                COMMUNITY_SPECIALTIES
                if community
                else VILLAGE_SPECIALTIES + LOCAL_SPECIALTIES.get(self.units[county].code, []) * 2
            )
            specialties = list(dict.fromkeys(rng.sample(pool, rng.randint(1, 3))))
            # Provincial honours are rare at county level (100 名师, 300 担当作为好支书, 3,000 千名好支书).
            named = tier in (MentorTier.PROVINCIAL, MentorTier.MUNICIPAL) or rng.random() < 0.01
            if named:
                titles.append(MentorTitle.ZHISHE_MINGSHI if community else MentorTitle.XINGCUN_MINGSHI)
            if rng.random() < (0.6 if named else 0.2):
                titles.append(MentorTitle.QIANMING_HAO_ZHISHU)
                batch = rng.randint(1, 3)
            if rng.random() < (0.3 if named else 0.015):
                titles.append(MentorTitle.DANDANG_HAO_ZHISHU)
            if rng.random() < 0.08:
                titles.append(MentorTitle.LIANGYOU_YIXIAN)
            if rng.random() < 0.002:
                titles.append(MentorTitle.NATIONAL_MODEL_WORKER)
            if tier == MentorTier.VILLAGE and (batch == 1 or set(titles) & COUNTY_TITLES):
                tier = MentorTier.COUNTY  # the county's own master mentors: honoured secretaries
        expertise = sorted(rng.sample(EXPERTISE, rng.randint(2, 3)), key=EXPERTISE.index)
        return {
            "tier": tier,
            "titles": sorted(titles, key=TITLE_ORDER.index),
            "qianming_batch": batch,
            "expertise": expertise,
            "specialties": specialties,
        }

    def statement(self, prog: Prog, c: Cadre, profile: dict, self_nominated: bool) -> tuple[str, str]:
        spec = "、".join(profile["specialties"])
        township = self.units.get(c.path[:20])
        county = self.units[c.path[:15]]
        if self_nominated:
            return f"本人在{c.place}工作多年，在{spec}方面有一定经验，自愿报名担任导师，带好年轻干部。", ""
        if profile["tier"] == MentorTier.TOWNSHIP:
            text = f"{c.name}同志长期在乡镇工作，熟悉基层治理和群众工作，擅长{spec}，推荐为导师人选。"
            return text, f"中共{county.name}委组织部"
        if prog.region.depth < Level.COUNTY:
            city = self.units[c.path[:10]]
            unit = (
                f"中共{city.name}委组织部"
                if prog.region.depth == Level.PROVINCE
                else f"中共{county.name}委组织部"
            )
        else:
            unit = township.name + ("党工委" if township.kind == Kind.SUBDISTRICT else "党委")
        text = f"{c.name}同志任{c.place}党组织书记以来，带领群众发展{spec}，村集体经济持续壮大，群众公认度高，推荐为导师人选。"
        return text, unit

    def plan_mentor(self, prog: Prog, c: Cadre, tier: str, status: str, *, demo: bool = False) -> MentorPlan:
        rng = prog.rng
        profile = self.profile(prog, c, tier)
        self_nominated = not demo and rng.random() < 0.15
        statement, unit = self.statement(prog, c, profile, self_nominated)
        mentor = Mentor(
            id=self.new_id(Mentor),
            programme=prog.obj,
            person_id=c.pk,
            region_id=c.region_id,
            capacity=prog.policy.capacity_for(profile["tier"]),
            nominated_via=NominationSource.SELF_NOMINATED
            if self_nominated
            else NominationSource.ORG_RECOMMENDED,
            nomination_statement=statement,
            recommending_unit=unit,
            status=MS.SUBMITTED,
            **profile,
        )
        mp = MentorPlan(obj=mentor, cadre=c)
        clock = Clock(rng)
        actor = prog.actor
        recommender = self.township_users.get(self.units[c.path[:20]].code) if len(c.path) >= 20 else None

        def event(action, after, day, reason=""):
            before = mentor.status
            at = clock.at(day)
            mp.events.append(
                (
                    action,
                    before,
                    after,
                    at,
                    recommender if action == MA.RECOMMEND and recommender else actor,
                    reason,
                )
            )
            mentor.status = after
            mentor.status_reason = reason[:300] if action != MA.NOMINATE else ""
            mentor.updated_at = at
            return at

        def walk(start: dt.date, until: str, gaps=None, days=None) -> dt.date:
            """Nominated on ``start``, then each review step up to ``until`` after ``gaps`` or on ``days``."""
            if not self_nominated:  # the organisation nominates on a working day
                start = _workday_back(start)
            mentor.created_at = mentor.updated_at = clock.at(start)
            nominator = self.users_by_person.get(c.pk) if self_nominated else actor
            mp.events.append((MA.NOMINATE, "", MS.SUBMITTED, mentor.created_at, nominator, statement))
            day = start
            for i, target in enumerate(REVIEW_PATH[1 : REVIEW_PATH.index(until) + 1]):
                if target == MS.ACTIVE:
                    day = _workday(mentor.publicity_end + dt.timedelta(days=rng.randint(1, 3)))
                    self._resolve_objections(mp, clock, day, upheld=False)
                    event(MA.APPOINT, MS.ACTIVE, day)
                    mentor.appointed_at = day
                    mentor.certificate_no = (
                        f"{prog.region.code}-{day.year}-{mentor.pk:06d}"  # certificate_number()
                    )
                    mentor.term_end = _years_later(day, prog.policy.mentor_term_years)
                    continue
                day = days[i] if days else _workday(day + dt.timedelta(days=rng.randint(*gaps[target])))
                event(STEP_ACTION[target], target, day)
                if target == MS.PUBLICITY:
                    mentor.publicity_start = day
                    mentor.publicity_end = add_working_days(day, prog.policy.publicity_working_days)
                    if until == MS.ACTIVE and rng.random() < 0.02:
                        self._object(prog, mp, clock, day + dt.timedelta(days=rng.randint(1, 3)))
            return day

        if status in (MS.ACTIVE, MS.SUSPENDED, MS.RETIRED, MS.DISMISSED):
            late = status == MS.ACTIVE and not demo and rng.random() < 0.15
            if late:
                walk(dt.date(2026, 6, 1) + dt.timedelta(days=rng.randint(0, 45)), MS.ACTIVE, USUAL_GAPS)
            else:
                start = self.campaign + dt.timedelta(days=0 if demo else rng.randint(0, 10))
                walk(start, MS.ACTIVE, CAMPAIGN_GAPS)
            mp.ws = mentor.appointed_at + dt.timedelta(days=3)
            mp.we = self.today - dt.timedelta(days=1)
            if status == MS.SUSPENDED:
                day = _workday(self.today - dt.timedelta(days=rng.randint(15, 90)))
                event(MA.SUSPEND, MS.SUSPENDED, day, rng.choice(SUSPEND_REASONS))
                mp.we = day - dt.timedelta(days=1)
            elif status in (MS.RETIRED, MS.DISMISSED):
                day = _workday(self.today - dt.timedelta(days=rng.randint(20, 150)))
                reason = rng.choice(RETIRE_REASONS if status == MS.RETIRED else DISMISS_REASONS)
                action = MA.RETIRE if status == MS.RETIRED else MA.DISMISS
                mp.end_reason = reason
                mp.end_at = event(action, status, day, reason)
                mp.we = day - dt.timedelta(days=1)
                mp.locked = True
        elif status == MS.REJECTED:
            stage = rng.choice(REVIEW_PATH[:5])
            start = dt.date(2026, 1, 5) + dt.timedelta(days=rng.randint(0, 200))
            day = walk(start, stage, USUAL_GAPS)
            day = _workday(day + dt.timedelta(days=rng.randint(3, 15)))
            reason = rng.choice(REJECT_REASONS)
            if stage == MS.PUBLICITY and rng.random() < 0.6:
                self._object(prog, mp, clock, mentor.publicity_start + dt.timedelta(days=1))
                day = max(day, mentor.publicity_end)
                self._resolve_objections(mp, clock, day, upheld=True)
                reason = "公示期间收到反映，" + OBJECTION_UPHELD
            event(MA.REJECT, MS.REJECTED, day, reason)
        else:
            # Still in review: the steps taken so far, counted back from a recent working day.
            steps = REVIEW_PATH.index(status)
            last = self.today - dt.timedelta(
                days=rng.randint(0, 4) if status == MS.PUBLICITY else rng.randint(1, 12)
            )
            days = [_workday_back(last)]
            for i in range(steps, 1, -1):
                days.append(
                    _workday_back(days[-1] - dt.timedelta(days=rng.randint(*USUAL_GAPS[REVIEW_PATH[i]])))
                )
            days.reverse()
            first = days[0] if days else last
            start = (
                first - dt.timedelta(days=rng.randint(*USUAL_GAPS[MS.UNIT_RECOMMENDED])) if steps else last
            )
            walk(start, status, days=days)
            if status == MS.PUBLICITY and rng.random() < 0.3:
                self._object(prog, mp, clock, min(self.today, mentor.publicity_start + dt.timedelta(days=1)))
                if rng.random() < 0.5:
                    self._resolve_objections(mp, clock, self.office_day(self.today), upheld=False)
        return mp

    def _object(self, prog: Prog, mp: MentorPlan, clock: Clock, day: dt.date) -> None:
        raised_by, content = prog.rng.choice(OBJECTIONS)
        at = clock.at(self.office_day(day))
        mp.objections.append(
            PublicityObjection(
                mentor_id=mp.obj.pk,
                raised_by=raised_by,
                content=content,
                recorded_by=prog.actor,
                recorded_at=at,
            )
        )
        mp.events.append((MA.OBJECTION, MS.PUBLICITY, MS.PUBLICITY, at, prog.actor, content))

    @staticmethod
    def _resolve_objections(mp: MentorPlan, clock: Clock, day: dt.date, *, upheld: bool) -> None:
        for objection in mp.objections:
            if objection.resolved_at is None:
                objection.resolution = OBJECTION_UPHELD if upheld else OBJECTION_CLEARED
                objection.resolved_at = clock.at(day)

    # ------------------------------------------------------------------ apprentices
    def candidates(self, path: str) -> tuple[list[Cadre], list[Cadre], list[Cadre]]:
        """Young township cadres, young village cadres and new village secretaries under ``path``, unused."""
        township, village, secretaries = [], [], []
        units = [path] if len(path) >= 5 * Level.TOWNSHIP else self.units_under(path, Level.TOWNSHIP)
        for unit in units:
            for c in (c for p in [unit, *self.children.get(unit, ())] for c in self.by_unit.get(p, ())):
                if c.pk in self.used:
                    continue
                if c.is_village and c.index == 0:
                    if self.service_years(c) <= 3:
                        secretaries.append(c)
                elif self.age(c) <= 35:
                    (village if c.is_village else township).append(c)
        return township, village, secretaries

    def pick_apprentices(self, prog: Prog, n_mentors: int, forced: list[Cadre]) -> list[Cadre]:
        rng = prog.rng
        target = round(APPRENTICES_PER_MENTOR[prog.region.depth] * n_mentors)
        picked = [c for c in forced if c.pk not in self.used]
        if prog.region.depth == Level.COUNTY:
            township, village, secretaries = self.candidates(prog.region.path)
            n_new = min(len(secretaries), max(1, round(0.03 * target)))
            n_town = min(len(township), round(0.4 * target))
            chosen = rng.sample(secretaries, n_new) + rng.sample(township, n_town)
            rest = [c for c in village if c not in picked]
            chosen += rng.sample(rest, min(len(rest), max(0, target - len(picked) - len(chosen))))
        else:
            chosen = []
            per_group: Counter = Counter(m.cadre.path[: prog.key_len] for m in prog.mentors)
            ratio = APPRENTICES_PER_MENTOR[prog.region.depth]
            for key in sorted(per_group):
                _t, village, _s = self.candidates(key)
                chosen += rng.sample(village, min(len(village), round(ratio * per_group[key])))
        return picked + [c for c in chosen if c not in picked]

    def plan_apprentice(self, prog: Prog, c: Cadre) -> ApprenticePlan:
        rng = prog.rng
        age, service = self.age(c), self.service_years(c)
        cats: list[str] = []
        three_gates = False
        if c.position == Position.FIRST_SECRETARY:
            cats.append(AC.FIRST_SECRETARY)
            if c.cadre_type == CadreType.SECONDED:
                cats.append(AC.SECONDED_CADRE)
        elif not c.is_village:
            if c.cadre_type == CadreType.XUANDIAOSHENG:
                cats.append(AC.XUANDIAOSHENG)
            if c.cadre_type == CadreType.SECONDED:
                cats.append(AC.SECONDED_CADRE)
            if service <= 3:
                cats.append(AC.NEW_TOWNSHIP_CADRE)
            if not cats:
                cats.append(AC.RESERVE_CADRE)
            three_gates = (AC.XUANDIAOSHENG in cats or AC.NEW_TOWNSHIP_CADRE in cats) and age <= 30
            three_gates = three_gates and rng.random() < 0.5
        elif c.index == 0:
            cats.append(AC.NEW_VILLAGE_SECRETARY)
            if rng.random() < 0.3:
                cats.append(AC.WEAK_VILLAGE_SECRETARY)
        else:
            cats.append(AC.RESERVE_CADRE if c.position == Position.RESERVE else AC.VILLAGE_CADRE)
            if c.cadre_type == CadreType.RUXIANG_YOUTH:
                cats.append(AC.RUXIANG_YOUTH)
        if not c.is_village:
            weights = [4, 4, 2, 2, 2]  # new township cadres lack roots and mass-work experience first
        elif c.index == 0:
            weights = [1, 2, 4, 4, 3]
        else:
            weights = [2, 3, 2, 4, 3]
        needs = set(rng.choices(EXPERTISE, weights, k=rng.randint(1, 3)))
        note = "三门干部，缺乏基层工作经历" if three_gates else ""
        apprentice = Apprentice(
            id=self.new_id(Apprentice),
            programme=prog.obj,
            person_id=c.pk,
            region_id=c.region_id,
            categories=sorted(cats, key=CATEGORY_ORDER.index),
            three_gates=three_gates,
            needs=sorted(needs, key=EXPERTISE.index),
            note=note,
            status=ApprenticeStatus.ELIGIBLE,
        )
        return ApprenticePlan(obj=apprentice, cadre=c)

    # ------------------------------------------------------------------ pairings
    def schedule(
        self, prog: Prog, ap: ApprenticePlan, mentors: list[MentorPlan], kind: str, **kw
    ) -> PairPlan | None:
        """Replay one pairing of ``kind`` with these mentors, or None if their windows cannot hold it.

        Keywords: ``start`` (the proposal day), ``after`` (a time the proposal follows), ``propose`` (arguments
        of the proposal: ``replaces`` and ``reason`` for a re-pairing), ``waiting`` (the side that has not
        confirmed a proposal yet), ``end`` and ``reason`` (when and why a terminated pairing ended).
        """
        rng, today, od = prog.rng, self.today, self.office_day
        ws = max(m.ws for m in mentors)
        we = min(m.we for m in mentors)
        appointed = all(m.obj.status == MS.ACTIVE for m in mentors)
        pp = PairPlan(self, prog, ap, mentors)
        pp.clock.last = kw.get("after")
        start = kw.get("start")
        if kind in ("proposed", "confirmed"):
            lag = (0, 6) if kind == "proposed" else (12, 45)
            p = od(start or today - dt.timedelta(days=rng.randint(*lag)))
            if not appointed or p < ws or prog.max_mentors_on(p) < len(mentors):
                return None
            pp.propose(p, **kw.get("propose", {}))
            if kind == "confirmed":
                pp.confirm_all(p)
                return pp if pp.events[-1][3].date() < today else None
            sides = pp.sides()
            if "waiting" in kw:
                confirming = [side for side in sides if side != kw["waiting"]]
            else:
                confirming = rng.sample(sides, rng.randint(1, len(sides) - 1)) if rng.random() < 0.5 else []
            for day, side in sorted(
                ((min(today, p + dt.timedelta(days=rng.randint(0, 2))), side) for side in confirming),
                key=lambda x: x[0],
            ):
                pp.confirm(side, day)
            return pp
        if kind == "declined":
            if start is None:
                if (we - ws).days < 7:
                    return None
                start = ws + dt.timedelta(days=rng.randint(0, (we - ws).days - 7))
            start = od(start)
            if start < ws or prog.max_mentors_on(start) < len(mentors):
                return None
            pp.propose(start)
            side = rng.choice(pp.sides())
            who = "apprentice" if side == "apprentice" else "mentor"
            prefix = "徒弟本人：" if who == "apprentice" else "导师本人："
            pp.decline(
                start + dt.timedelta(days=rng.randint(1, 6)), side, prefix + rng.choice(DECLINE_REASONS[who])
            )
            return pp if pp.obj.ended_on <= we else None
        # Everything else runs through a signed 拜师帖.
        if start is None:
            need = {"active": 31, "extended": 31 + 200, "completed": 31 + 225, "terminated": 31 + 150}[kind]
            latest = we - dt.timedelta(days=need)
            if latest < ws:
                return None
            start = ws + dt.timedelta(days=int(rng.random() ** 2 * (latest - ws).days))
        start = od(start)
        if start < ws or prog.max_mentors_on(start) < len(mentors):
            return None
        pp.propose(start, **kw.get("propose", {}))
        confirmed = pp.confirm_all(start)
        if kind == "terminated" and "end" not in kw and rng.random() < 0.25:
            reason = kw.get("reason") or rng.choice(TERMINATE_REASONS)
            pp.terminate(od(confirmed + dt.timedelta(days=rng.randint(3, 20))), reason)
        else:
            signed = od(confirmed + dt.timedelta(days=rng.randint(5, 25)))
            if signed > we:
                return None
            pp.sign(signed)
            if kind == "extended":
                pp.extend(
                    od(signed + dt.timedelta(days=rng.randint(150, 200))), 6, rng.choice(EXTEND_REASONS)
                )
            elif kind == "completed":
                notes = COMPLETE_NOTES["village" if ap.cadre.is_village else "township"]
                pp.complete(od(signed + dt.timedelta(days=rng.randint(183, 225))), rng.choice(notes))
            elif kind == "terminated":
                end = kw.get("end") or od(signed + dt.timedelta(days=rng.randint(20, 150)))
                if end <= signed:
                    return None
                pp.terminate(end, kw.get("reason") or rng.choice(TERMINATE_REASONS))
        limit = we + dt.timedelta(days=1) if "end" in kw else we
        return pp if pp.events[-1][3].date() <= limit else None

    def follow_on(
        self, prog: Prog, ap: ApprenticePlan, old: PairPlan | None, day: dt.date, reason: str, exclude
    ) -> bool:
        """A new pairing proposed on ``day`` (a re-pairing when ``old`` is given), played forward to today."""
        elapsed = (self.today - day).days
        kinds = ["proposed"] if elapsed <= 6 else ["confirmed"] if elapsed <= 45 else ["active", "confirmed"]
        after = old.events[-1][3] if old else None
        propose = {"replaces": old, "reason": reason} if old else {}
        for m in self.mentor_candidates(prog, ap, exclude=exclude, need_place=True):
            if m.obj.status != MS.ACTIVE:
                continue
            for kind in kinds:
                pp = self.schedule(prog, ap, [m], kind, start=day, after=after, propose=propose)
                if pp:
                    self.commit(prog, pp)
                    return True
        return False

    def mentor_candidates(self, prog: Prog, ap: ApprenticePlan, *, exclude=(), need_place: bool):
        rng = prog.rng
        key = ap.cadre.path[: prog.key_len]
        local = prog.by_key.get(key, [])
        township_cadre = not ap.cadre.is_village

        def pref(m: MentorPlan):
            tier_match = (m.obj.tier == MentorTier.TOWNSHIP) == township_cadre
            overlap = len(set(m.obj.expertise) & set(ap.obj.needs))
            return (not tier_match, -overlap, rng.random())

        far = rng.sample(prog.pool, min(len(prog.pool), 20))
        seen = set()
        for m in sorted(local, key=pref) + far:
            if m.locked or id(m) in seen or m in exclude:
                continue
            seen.add(id(m))
            if need_place and m.obj.load >= m.obj.capacity:
                continue
            if m.total >= m.obj.capacity + 2:
                continue
            yield m

    def commit(self, prog: Prog, pp: PairPlan) -> None:
        pp.obj.pk = self.new_id(Pairing)
        pp.obj.replaces_id = pp.replaces.obj.pk if pp.replaces else None
        pp.obj.status = pp.status
        pp.obj.updated_at = pp.events[-1][3]
        for m in pp.mentors:
            m.total += 1
            if pp.status in OPEN_STATES:
                m.obj.load += 1
        pp.ap.pairings.append(pp)
        prog.pairings.append(pp)

    def tell(self, prog: Prog, ap: ApprenticePlan, kind: str) -> bool:
        """Play one apprentice's story; False when no mentor fits it."""
        rng = prog.rng
        if kind == "none":
            return True
        if kind in ("transferred", "declined_then_active"):
            first_kind = "terminated" if kind == "transferred" else "declined"
            for a in self.mentor_candidates(prog, ap, need_place=False):
                reason = rng.choice(TRANSFER_REASONS)
                pp = self.schedule(prog, ap, [a], first_kind, reason=reason)
                if pp is None:
                    continue
                # repair() ends the old pairing and proposes the new one at once; after a refusal the
                # township looks for another mentor within a month.
                day = (
                    pp.obj.ended_on
                    if kind == "transferred"
                    else pp.obj.ended_on + dt.timedelta(days=rng.randint(3, 30))
                )
                if day >= self.today:
                    continue
                self.commit(prog, pp)
                self.follow_on(prog, ap, pp if kind == "transferred" else None, day, reason, exclude=(a,))
                return True
            return False
        open_end = kind in ("proposed", "confirmed", "active", "extended")
        for m in self.mentor_candidates(prog, ap, need_place=open_end):
            pp = self.schedule(prog, ap, [m], kind)
            if pp is not None:
                self.commit(prog, pp)
                return True
        return False

    def plan_pairings(self, prog: Prog, demo: dict) -> None:
        rng, today = prog.rng, self.today
        prog.pool = [m for m in prog.mentors if m.ws is not None and not m.locked]
        prog.by_key = defaultdict(list)
        for m in prog.pool:
            prog.by_key[m.cadre.path[: prog.key_len]].append(m)
        taken: set[int] = set()
        # The demo accounts: an active pairing with a signed 拜师帖, a proposal waiting for the mentor's
        # confirmation, and an apprentice who graduated.
        if demo:
            mentor, apprentice = demo["mentor"], demo["apprentice"]
            pp = self.schedule(prog, apprentice, [mentor], "active", start=mentor.ws + dt.timedelta(days=4))
            pp.obj.ceremony_place = f"{self.units[mentor.cadre.path[:20]].name}师说馆"  # where 导师帮带 began
            self.commit(prog, pp)
            if demo.get("completed"):
                pp = self.schedule(
                    prog, demo["completed"], [mentor], "completed", start=mentor.ws + dt.timedelta(days=6)
                )
                if pp is not None:
                    self.commit(prog, pp)
            pp = self.schedule(
                prog, demo["proposed"], [mentor], "proposed", start=today - dt.timedelta(days=2), waiting=0
            )
            self.commit(prog, pp)
            taken |= {id(a) for a in (apprentice, demo["proposed"], demo.get("completed")) if a}
        rest = [a for a in prog.apprentices if id(a) not in taken]
        rng.shuffle(rest)
        # Apprentices of mentors who left: their pairings were terminated with the mentor's reason.
        for m in prog.mentors:
            if m.obj.status not in (MS.RETIRED, MS.DISMISSED):
                continue
            near = [a for a in rest if a.cadre.path[: prog.key_len] == m.cadre.path[: prog.key_len]]
            end = m.we + dt.timedelta(days=1)
            if (end - m.ws).days < 45:
                continue
            for ap in near[: rng.randint(1, 2)]:
                start = m.ws + dt.timedelta(days=rng.randint(0, min(30, (end - m.ws).days - 45)))
                pp = self.schedule(prog, ap, [m], "terminated", start=start, end=end, reason=m.end_reason)
                if pp is None:
                    continue
                # end_pairings_of_mentor() ends them right after the mentor's dismissal or retirement.
                action, before, after, at, actor, reason = pp.events[-1]
                pp.events[-1] = (
                    action,
                    before,
                    after,
                    max(at, m.end_at + dt.timedelta(seconds=1)),
                    actor,
                    reason,
                )
                self.commit(prog, pp)
                rest.remove(ap)
                day = end + dt.timedelta(days=rng.randint(3, 20))
                if rng.random() < 0.6 and day < today:
                    verb = "退出导师库" if m.obj.status == MS.RETIRED else "被清退"
                    self.follow_on(
                        prog, ap, pp, day, f"原导师{m.cadre.name}{verb}，重新安排导师", exclude=(m,)
                    )
        # Mentor teams (多对一), where the rules allow them.
        if prog.region.code == TEAMS_COUNTY:
            teams = 0
            for ap in [a for a in rest if not a.cadre.is_village]:
                if teams >= 4:
                    break
                kind = ["active", "active", "confirmed", "proposed"][teams]
                local = [
                    m for m in prog.by_key.get(ap.cadre.path[: prog.key_len], []) if m.obj.status == MS.ACTIVE
                ]
                lead = [m for m in local if m.obj.tier != MentorTier.TOWNSHIP and m.obj.load < m.obj.capacity]
                second = [
                    m for m in local if m.obj.tier == MentorTier.TOWNSHIP and m.obj.load < m.obj.capacity
                ]
                if not (lead and second):
                    continue
                start = {
                    "active": RULES_V2_ON + dt.timedelta(days=rng.randint(10, 60)),
                    "confirmed": today - dt.timedelta(days=rng.randint(12, 30)),
                    "proposed": today - dt.timedelta(days=rng.randint(0, 5)),
                }[kind]
                pp = self.schedule(prog, ap, [lead[0], second[0]], kind, start=start)
                if pp is None:
                    continue
                self.commit(prog, pp)
                rest.remove(ap)
                teams += 1
        names, weights = zip(*STORIES, strict=True)
        for ap in rest:
            kind = rng.choices(names, weights)[0]
            for attempt in [kind, *FALLBACK]:
                if self.tell(prog, ap, attempt):
                    break
        for ap in prog.apprentices:
            self.settle(prog, ap)

    def settle(self, prog: Prog, ap: ApprenticePlan) -> None:
        """The apprentice's registration time and status follow their pairings."""
        rng = prog.rng
        clock = Clock(rng)
        if not ap.pairings:
            day = dt.date(2026, 1, 12) + dt.timedelta(
                days=rng.randint(0, (self.today - dt.date(2026, 1, 12)).days - 3)
            )
            at = clock.at(_workday_back(day))
        else:
            first = min(pp.obj.created_at for pp in ap.pairings)
            day = max(dt.date(2026, 1, 8), first.date() - dt.timedelta(days=rng.randint(3, 30)))
            at = min(clock.at(_workday_back(day)), first - dt.timedelta(hours=1))
        ap.obj.created_at = at
        ap.obj.updated_at = max([at] + [pp.obj.updated_at for pp in ap.pairings])
        latest = max(ap.pairings, key=lambda pp: pp.obj.created_at, default=None)
        if latest is None:
            ap.obj.status = ApprenticeStatus.ELIGIBLE
        elif latest.status in OPEN_STATES:
            ap.obj.status = ApprenticeStatus.PAIRED
        elif latest.status == PS.COMPLETED:
            ap.obj.status = ApprenticeStatus.GRADUATED
        else:
            ap.obj.status = ApprenticeStatus.ELIGIBLE

    def plan_conflicts(self, prog: Prog) -> None:
        """A few declared conflicts of interest between mentors and apprentices of the same place, never paired."""
        rng = prog.rng
        paired = {(m.cadre.pk, pp.ap.cadre.pk) for pp in prog.pairings for m in pp.mentors}
        by_township = defaultdict(list)
        for ap in prog.apprentices:
            by_township[ap.cadre.path[:20]].append(ap)
        wanted = max(2, round(0.02 * len(prog.mentors))) if prog.region.depth == Level.COUNTY else 0
        seen = set()
        for m in rng.sample(prog.pool, len(prog.pool)):
            if len(prog.conflicts) >= wanted:
                break
            options = [
                a for a in by_township.get(m.cadre.path[:20], []) if (m.cadre.pk, a.cadre.pk) not in paired
            ]
            if not options:
                continue
            ap = rng.choice(options)
            if m.obj.tier == MentorTier.TOWNSHIP and not ap.cadre.is_village:
                kind = ConflictKind.SUPERIOR
            elif ap.cadre.region_id == m.cadre.region_id:
                kind = ConflictKind.HOUSEHOLD
            else:
                kind = ConflictKind.OTHER
            if (m.cadre.pk, ap.cadre.pk) in seen:
                continue
            seen.add((m.cadre.pk, ap.cadre.pk))
            day = dt.date(2026, 2, 1) + dt.timedelta(days=rng.randint(0, 240))
            prog.conflicts.append(
                ConflictDeclaration(
                    mentor_person_id=m.cadre.pk,
                    apprentice_person_id=ap.cadre.pk,
                    kind=kind,
                    note=rng.choice(CONFLICT_NOTES[kind]),
                    declared_by=prog.actor,
                    declared_at=Clock(rng).at(_workday(day)),
                )
            )

    # ------------------------------------------------------------------ the whole pool
    def plan(self) -> list[Prog]:
        progs = [self.make_programme(r) for r in self.programme_regions()]
        demo_mentor = self.demo_users.get("mentor")
        demo_apprentice = self.demo_users.get("apprentice")
        for prog in progs:
            picked = self.pick_mentors(prog)
            statuses = self.mentor_statuses(prog, len(picked))
            demo = {}
            for (c, tier), status in zip(picked, statuses, strict=True):
                is_demo = demo_mentor is not None and c.pk == demo_mentor.person_id
                if is_demo:
                    status = MS.ACTIVE
                    tier = MentorTier.VILLAGE
                mp = self.plan_mentor(prog, c, tier, status, demo=is_demo)
                if is_demo:
                    mp.obj.tier, mp.obj.capacity = (
                        MentorTier.VILLAGE,
                        prog.policy.capacity_for(MentorTier.VILLAGE),
                    )
                    mp.locked = True
                    demo["mentor"] = mp
                prog.mentors.append(mp)
                self.used.add(c.pk)
            forced = []
            if demo:
                forced = self.demo_apprentices(demo["mentor"].cadre, demo_apprentice)
            for c in self.pick_apprentices(prog, len(prog.mentors), forced):
                prog.apprentices.append(self.plan_apprentice(prog, c))
                self.used.add(c.pk)
            if demo:
                by_pk = {a.cadre.pk: a for a in prog.apprentices}
                demo["apprentice"] = by_pk[forced[0].pk]
                demo["proposed"] = by_pk[forced[1].pk]
                demo["completed"] = by_pk.get(forced[2].pk) if len(forced) > 2 else None
            self.plan_pairings(prog, demo)
            self.plan_conflicts(prog)
        return progs

    def demo_apprentices(self, mentor: Cadre, account: User | None) -> list[Cadre]:
        """The apprentice account's cadre, a young cadre of the mentor's village, one of the mentor's township."""
        cadres = {c.pk: c for c in self.by_unit[mentor.path[:20]]}
        for village in self.units_under(mentor.path[:20], Level.VILLAGE):
            cadres.update({c.pk: c for c in self.by_unit[village]})
        own = cadres[account.person_id] if account else None
        village_young = [c for c in self.by_unit[mentor.path] if c.index > 0 and self.age(c) <= 35]
        township_young = [
            c
            for c in self.by_unit[mentor.path[:20]]
            if c.position == Position.TOWNSHIP_STAFF and self.age(c) <= 35
        ]
        result = [own] if own else []
        result += [c for c in village_young if c not in result][:1]
        result += [c for c in township_young if c not in result][:1]
        return result

    def new_id(self, model) -> int:
        """The next primary key of ``model``: ids are given up front, so rows are written without round trips
        and the foreign keys between them are known while planning (as ``loaddata`` does)."""
        self.next_ids[model] += 1
        return self.next_ids[model]

    def write(self, progs: list[Prog]) -> None:
        mentors = [m for p in progs for m in p.mentors]
        pairings = [pp for p in progs for pp in p.pairings]
        _insert_objects(Programme, [p.obj for p in progs])
        _insert_objects(ProgrammeRules, [r for p in progs for r in p.rules])
        _insert_objects(Mentor, [m.obj for m in mentors])
        _insert(
            MentorEvent,
            ["mentor_id", "action", "from_status", "to_status", "actor_id", "reason", "at"],
            (
                (m.obj.pk, a, f, t, actor.pk if actor else None, r, at)
                for m in mentors
                for a, f, t, at, actor, r in m.events
            ),
        )
        _insert_objects(PublicityObjection, [o for m in mentors for o in m.objections])
        _insert_objects(Apprentice, [a.obj for p in progs for a in p.apprentices])
        # Replaced pairings first: a replacement refers to the one it replaces.
        _insert_objects(Pairing, [pp.obj for pp in pairings if pp.replaces is None])
        _insert_objects(Pairing, [pp.obj for pp in pairings if pp.replaces is not None])
        _insert(
            PairingMentor,
            ["pairing_id", "mentor_id", "is_primary", "confirmed_at"],
            (
                (pp.obj.pk, m.obj.pk, i == 0, pp.confirmed.get(i))
                for pp in pairings
                for i, m in enumerate(pp.mentors)
            ),
        )
        _insert(
            PairingEvent,
            ["pairing_id", "action", "from_status", "to_status", "actor_id", "reason", "at"],
            (
                (pp.obj.pk, a, f, t, actor.pk if actor else None, r, at)
                for pp in pairings
                for a, f, t, at, actor, r in pp.events
            ),
        )
        _insert_objects(ConflictDeclaration, [c for p in progs for c in p.conflicts])
        # PostgreSQL's sequences must learn about the ids given here (SQLite's AUTOINCREMENT follows by itself).
        statements = connection.ops.sequence_reset_sql(no_style(), list(self.next_ids))
        if statements:
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)

    def run(self) -> dict[str, int]:
        self.load()
        progs = self.plan()
        self.write(progs)
        pairings = [pp for p in progs for pp in p.pairings]
        counts = {
            "programmes": len(progs),
            "mentors": sum(len(p.mentors) for p in progs),
            "apprentices": sum(len(p.apprentices) for p in progs),
            "pairings": len(pairings),
        }
        counts.update(
            {
                f"mentors.{s}": n
                for s, n in sorted(Counter(m.obj.status for p in progs for m in p.mentors).items())
            }
        )
        counts.update({f"pairings.{s}": n for s, n in sorted(Counter(pp.status for pp in pairings).items())})
        return counts


def build_pool(scope_codes: list[str], *, seed: int, today: dt.date) -> dict[str, int]:
    """Plan and write the demo programmes for the scale's regions; returns counts for the report."""
    return PoolBuilder(scope_codes, seed=seed, today=today).run()

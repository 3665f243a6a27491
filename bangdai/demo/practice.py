"""The demo's mentoring in practice: a year of ledger entries, plans, assignments, 复盘 reviews, teaching sites with
their open classes, and radiation alliances, written after the pool (``bangdai.demo.pool``).

Everything is relative to ``today`` (the day the demo is loaded) and seeded per record (the apprentice's blind
index, the site's village code), so one day's runs write the same data. Nothing is later than the end of
yesterday except the open classes still to come: every entry was recorded, confirmed and checked in the past, so
the services' rules (no activity in the future or before the pairing began, a confirmation only within the
programme's window, a review after a submission) hold for every row. Rows are what the services would have
written, events included (``bangdai.ledger.services``, ``bangdai.plans.services``,
``bangdai.assignments.services``, ``bangdai.teaching.services``, ``bangdai.alliances.services``), and are written
with one ``executemany`` per few thousand rows, ids given up front (as the pool does).

The shape of a year: each running pairing follows a profile (steady, keen, behind, fading, silent). The steady
and keen keep the programme's rules most months (two activities, one on site, a talk each quarter), with fewer
activities around Spring Festival and in the farming rush (三夏, 双抢) and more in spring and autumn; the behind
fall short, the fading stopped a month or so ago and the silent two months or more ago, so the compliance pages
have red, amber and green to show truthfully.
"""

import datetime as dt
import itertools
import json
import math
import random
import time
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.core.management.color import no_style
from django.db import connection
from django.db.models import CharField, DateField, DateTimeField, JSONField, Max, TextField

from bangdai.accounts.choices import Role
from bangdai.accounts.models import RoleAssignment, User
from bangdai.alliances.choices import AllianceAction, AllianceStatus
from bangdai.alliances.models import Alliance, AllianceEvent, AllianceMember, JointActivity
from bangdai.apprentices.models import Apprentice
from bangdai.assignments.choices import AssignmentAction
from bangdai.assignments.choices import AssignmentStatus as AS
from bangdai.assignments.models import Assignment, AssignmentEvent, Submission
from bangdai.core.choices import ContentArea as CA
from bangdai.core.choices import Method as M
from bangdai.ledger.choices import ActivityAction as AA
from bangdai.ledger.choices import ActivityStatus, Side, Verification
from bangdai.ledger.models import Activity, ActivityEvent, Review
from bangdai.mentors.choices import MentorStatus, MentorTitle
from bangdai.mentors.models import Mentor
from bangdai.pairings.choices import RUNNING_STATES
from bangdai.pairings.models import Pairing, PairingMentor
from bangdai.plans.choices import Decision, PlanAction, PlanStatus
from bangdai.plans.models import MentoringPlan, PlanEvent, PlanGoal, PlanRevision
from bangdai.plans.services import FREQUENCY_RULES
from bangdai.programmes.choices import MentorTier
from bangdai.programmes.versions import policies
from bangdai.regions.choices import Kind, Level
from bangdai.regions.models import PATH_STEP, Region
from bangdai.teaching.choices import (
    CheckInMethod,
    ClassStatus,
    EnrolmentSource,
    EnrolmentStatus,
    SiteLevel,
    SiteStatus,
    TeachingAction,
)
from bangdai.teaching.models import ACTIVE_APPRENTICE, Enrolment, OpenClass, TeachingEvent, TeachingSite

from .pool import TZ
from .pool import _insert as _insert_any

AREA_ORDER = {a: i for i, a in enumerate(CA.values)}
AREAS = list(CA.values)
TALK = str(M.HEART_TO_HEART_TALK)


def _insert(model, names: list[str], rows, chunk: int = 5000) -> None:
    """``pool._insert``, with a fast path for SQLite: datetimes turned into naive UTC text and JSON values encoded
    once per distinct value (most are a handful of content-area lists and empty objects)."""
    if connection.vendor != "sqlite":
        _insert_any(model, names, rows, chunk)
        return
    fields = [model._meta.get_field(name) for name in names]
    memo: dict = {}

    def as_json(value):
        if not value or not isinstance(value, list) or not isinstance(value[0], str):
            return json.dumps(value)
        key = tuple(value)
        found = memo.get(key)
        if found is None:
            found = memo[key] = json.dumps(value)
        return found

    def as_datetime(value):
        return str(value.replace(tzinfo=None) - value.utcoffset())

    adapt = []
    for f in fields:
        if isinstance(f, DateTimeField):
            adapt.append(as_datetime)
        elif isinstance(f, DateField):
            adapt.append(str)
        elif isinstance(f, JSONField):
            adapt.append(as_json)
        elif isinstance(f, CharField | TextField):
            adapt.append(str)
        else:
            adapt.append(None)
    pairs = [(i, a) for i, a in enumerate(adapt) if a is not None]
    ops = connection.ops
    columns = ", ".join(ops.quote_name(f.column) for f in fields)
    table = ops.quote_name(model._meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
    with connection.cursor() as cursor:
        for batch in itertools.batched(rows, chunk):
            out = []
            for row in batch:
                row = list(row)
                for i, a in pairs:
                    v = row[i]
                    if v is not None:
                        row[i] = a(v)
                out.append(row)
            cursor.executemany(sql, out)


# ---------------------------------------------------------------------------------------------- the calendar

SPRING_FESTIVAL = {
    2024: dt.date(2024, 2, 10),
    2025: dt.date(2025, 1, 29),
    2026: dt.date(2026, 2, 17),
    2027: dt.date(2027, 2, 6),
    2028: dt.date(2028, 1, 26),
    2029: dt.date(2029, 2, 13),
    2030: dt.date(2030, 2, 3),
}
# Month weights: spring and autumn are the working seasons; Spring Festival, 三夏 (June) and 双抢 (July) are not.
MONTH_WEIGHT = {
    1: 0.9,
    2: 0.85,
    3: 1.25,
    4: 1.2,
    5: 1.05,
    6: 0.72,
    7: 0.62,
    8: 0.85,
    9: 1.2,
    10: 1.1,
    11: 1.25,
}
WEEKDAY_WEIGHT = (1.0, 1.0, 1.0, 1.0, 1.0, 0.45, 0.3)


def day_weight(day: dt.date) -> float:
    """How likely mentoring happens on ``day`` relative to an ordinary working day in an ordinary month."""
    weight = MONTH_WEIGHT.get(day.month, 1.0) * WEEKDAY_WEIGHT[day.weekday()]
    festival = SPRING_FESTIVAL.get(day.year + (1 if day.month == 12 else 0))
    if festival and -8 <= (day - festival).days <= 8:
        weight *= 0.1  # 春节: everyone is home, and the village is busy with its own
    if (day.month, day.day) <= (10, 7) and (day.month, day.day) >= (10, 1):
        weight *= 0.3  # 国庆
    if day.month == 5 and day.day <= 5:
        weight *= 0.4  # 五一
    return weight


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def quarter_of(day: dt.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3


# ---------------------------------------------------------------------------------------------- the words

TOPICS = {
    CA.IDEALS_ROOTING: [
        "扎根基层的初心",
        "入村以来的困惑",
        "年轻干部的成长路径",
        "理想信念",
        "如何尽快融入村里",
    ],
    CA.MASS_WORK_SERVICE: [
        "入户走访",
        "民情日记",
        "群众诉求办理",
        "代办服务",
        "困难群众帮扶",
        "老年食堂运营",
    ],
    CA.PARTY_BUILDING: ["三会一课", "主题党日", "党员积分管理", "发展党员程序", "支部规范化建设", "党员联户"],
    CA.COMMON_PROSPERITY: [
        "村集体经济增收",
        "共富工坊",
        "农产品销售",
        "强村公司运营",
        "项目申报",
        "闲置农房盘活",
    ],
    CA.GOVERNANCE_HARMONY: ["矛盾纠纷调解", "网格化治理", "村规民约修订", "垃圾分类", "信访化解", "防汛防台"],
}
PROBLEMS = {
    CA.IDEALS_ROOTING: ["理清了个人成长规划", "解开了对岗位安排的思想疙瘩", "明确了扎根村里的三年目标"],
    CA.MASS_WORK_SERVICE: [
        "帮助{n}户群众办理医保报销",
        "协调解决独居老人用水问题",
        "落实{n}户困难家庭结对走访",
        "为{n}名群众代办证照",
    ],
    CA.PARTY_BUILDING: [
        "规范了主题党日记录",
        "梳理发展党员材料{n}份",
        "完善党员积分台账",
        "制定支部年度学习计划",
    ],
    CA.COMMON_PROSPERITY: [
        "对接农产品销售渠道{n}个",
        "完成项目申报材料",
        "帮助共富工坊接到订单{n}单",
        "理清村集体资产底数",
        "谈成闲置农房流转{n}处",
    ],
    CA.GOVERNANCE_HARMONY: [
        "调解邻里宅基地纠纷{n}起",
        "化解一起信访矛盾",
        "修订村规民约{n}条",
        "落实网格员分工",
        "排查防汛隐患{n}处",
    ],
}
METHOD_WEIGHTS = [
    (M.DIAGNOSTIC_VISIT, 14),
    (M.HEART_TO_HEART_TALK, 16),
    (M.SUPERVISED_PRACTICE, 12),
    (M.ONSITE_TEACHING, 10),
    (M.CASE_DISSECTION, 8),
    (M.TEAM_TACKLING, 8),
    (M.MODEL_EXPORT, 6),
    (M.ASSIGNMENT, 6),
    (M.SCENARIO_SIMULATION, 5),
    (M.AFTER_ACTION_REVIEW, 7),
    (M.CASE_ANALYSIS, 7),
]
METHODS, METHOD_W = zip(*METHOD_WEIGHTS, strict=True)
DURATIONS = {  # minutes, in steps of 10 or 15
    M.HEART_TO_HEART_TALK: (30, 90),
    M.DIAGNOSTIC_VISIT: (90, 240),
    M.ONSITE_TEACHING: (60, 180),
    M.TEAM_TACKLING: (90, 240),
    M.SUPERVISED_PRACTICE: (60, 240),
}
SCENES = [
    "村民代表大会上的突发质疑",
    "征地补偿协商",
    "信访群众上门",
    "台风转移群众",
    "项目验收现场",
    "网络舆情应对",
]
CASES = ["邻村强村公司", "本村民宿集聚区", "余村“两山”转化", "鲁家村家庭农场", "本乡垃圾分类示范村"]


SUMMARIES = {
    M.HEART_TO_HEART_TALK: "与徒弟谈心谈话，交流{topic}方面的体会，了解近期工作和思想状况，鼓励其多到群众中去。",
    M.DIAGNOSTIC_VISIT: "到{place}把脉巡诊，实地查看{topic}工作，一起梳理问题清单{n}条，明确整改责任人和时限。",
    M.ONSITE_TEACHING: "在{place}现场教学，讲解{topic}的做法和经验，徒弟现场提问{n}个，逐一解答。",
    M.SUPERVISED_PRACTICE: "放手让徒弟牵头{topic}工作，导师全程跟班指导，事后点评{n}个细节。",
    M.CASE_DISSECTION: "以{case}为样本解剖麻雀，分析{topic}中的症结和可借鉴的经验。",
    M.TEAM_TACKLING: "组团攻坚{topic}难题，与乡镇相关站所一起到{place}研究解决方案。",
    M.MODEL_EXPORT: "介绍{specialty}模式的来龙去脉，指导徒弟结合本村实际制定借鉴方案。",
    M.ASSIGNMENT: "布置作业：围绕{topic}写一份调研报告，约定{days}天内完成并汇报。",
    M.SCENARIO_SIMULATION: "情景模拟“{scene}”，导师扮演群众，徒弟现场处置，结束后复盘不足。",
    M.AFTER_ACTION_REVIEW: "对近期{topic}工作进行复盘，梳理得失{n}条，明确下一步改进措施。",
    M.CASE_ANALYSIS: "学习分析{case}案例，讨论{topic}中的经验教训。",
}


def _summary(rng: random.Random, method: str, area: str, place: str, specialty: str) -> str:
    topic = specialty if area == CA.COMMON_PROSPERITY and rng.random() < 0.5 else rng.choice(TOPICS[area])
    n = rng.randint(2, 6)
    return SUMMARIES[method].format(
        topic=topic,
        place=place,
        n=n,
        days=n + 8,
        case=rng.choice(CASES),
        scene=rng.choice(SCENES),
        specialty=specialty,
    )


def _problems(rng: random.Random, areas: list[str]) -> list[str]:
    k = rng.choices((0, 1, 2), (4, 5, 2))[0]
    return [rng.choice(PROBLEMS[rng.choice(areas)]).format(n=rng.randint(2, 8)) for _ in range(k)]


GOALS = {
    CA.IDEALS_ROOTING: [
        ("走遍本村（联系村）所有农户，建立民情档案", "完成入户走访{n}0户，民情日记不少于{m}篇"),
        ("讲好一堂主题党课", "在支部主题党日讲党课{k}次"),
    ],
    CA.MASS_WORK_SERVICE: [
        ("熟练办理群众常见事项", "独立代办事项不少于{n}0件，群众满意率90%以上"),
        ("结对帮扶困难群众", "结对困难家庭{k}户，每月走访1次"),
    ],
    CA.PARTY_BUILDING: [
        ("掌握支部规范化建设要求", "独立组织“三会一课”{n}次，记录规范"),
        ("做好发展党员工作", "全程参与发展党员{k}名，材料零差错"),
    ],
    CA.COMMON_PROSPERITY: [
        ("牵头一个增收项目", "项目落地，村集体经营性收入增加{n}万元"),
        ("发展{specialty}", "带动农户{n}0户参与，户均增收{k}千元"),
    ],
    CA.GOVERNANCE_HARMONY: [
        ("独立调处矛盾纠纷", "调处纠纷{n}起以上，调解成功率80%以上"),
        ("推进网格化治理", "完成网格{k}个的分工和台账"),
    ],
}
PLAN_SUMMARIES = [
    "一年内熟悉村情民情，能独立主持村务，成为群众信得过的带头人。",
    "补齐群众工作和基层治理短板，带出一支能打硬仗的年轻干部队伍。",
    "围绕{specialty}发展，把导师的经验学到手、用得上。",
]
RETURN_COMMENTS = [
    "目标过于笼统，请把“提高能力”改为可衡量的指标，并补充完成时限。",
    "缺少基层党建方面的目标，请补充。",
    "部分目标的完成时间晚于帮带期结束，请调整。",
]
APPROVE_COMMENTS = ["", "", "同意。", "目标明确，同意实施。"]
REVISE_COMMENTS = ["徒弟岗位调整为村报账员，增加集体资产管理目标。", "根据半年考核情况调整目标进度。"]
ASSIGNMENTS = {
    CA.IDEALS_ROOTING: ("我的一年成长规划", "结合岗位写一份一年成长规划，不少于1500字，说清楚短板和打算。"),
    CA.MASS_WORK_SERVICE: ("入户走访民情报告", "走访10户群众，整理诉求清单，提出办理建议。"),
    CA.PARTY_BUILDING: ("策划一次主题党日", "策划本月主题党日活动方案，并在支部会议上汇报。"),
    CA.COMMON_PROSPERITY: ("村集体经济增收调研", "摸清本村集体资产资源底数，提出两条增收思路。"),
    CA.GOVERNANCE_HARMONY: ("矛盾纠纷调处案例", "整理一起亲身参与调处的纠纷，写清经过、做法和反思。"),
}
ANSWERS = [
    "已按要求完成，附走访记录和问题清单，主要有三点体会：一是要多听，二是要跟进，三是要反馈。",
    "报告如下：现状、问题、建议三部分。下一步打算在村两委会上汇报，争取纳入年度计划。",
    "这次作业让我认识到自己在群众工作方法上的不足，已制定改进措施，请导师指正。",
]
FEEDBACK = [
    "思路清楚，措施可操作，下一步要抓落实。",
    "调研扎实，但对问题的原因分析还不够深入，建议再走访几户。",
    "进步明显，数据翔实，可以在支部会上交流。",
    "内容偏空，缺少具体数据和案例，建议补充后在实践中检验。",
]
LESSONS = [
    "这一阶段徒弟在{topic}方面进步明显，敢于独立处理问题，但与群众沟通时还偏急。",
    "活动开展较扎实，{topic}的做法已基本掌握；短板是统筹协调和材料总结。",
    "通过几次现场实践，徒弟对{topic}有了直观认识，下一步要放手让其独立负责。",
]
NEXT_STEPS = [
    "下月由徒弟独立牵头一次{topic}工作，导师只做点评。",
    "安排徒弟到先进村跟班学习一周，回来后写心得。",
    "围绕{topic}布置一次作业，月底前交流。",
]
WITHDRAW_REASONS = ["重复录入", "日期填错，已重新记录", "误记到其他结对"]
QUESTION_NOTES = [
    "照片与其他活动重复，请说明活动实际情况。",
    "活动当天导师在县里参加会议，时间地点存疑。",
    "时长与内容不符，请补充说明。",
]
VERIFY_NOTES = ["", "", "经乡镇党委实地核实，活动属实。"]
CLEARED_NOTE = "经约谈师徒双方并查看现场，活动属实。"
ACADEMIES = ["滕头乡村振兴学院", "浙江乡村振兴学院", "浙江省委党校乡村振兴教学基地", "余村两山学院"]
CLASS_PLACES = ["村文化礼堂", "村党群服务中心", "现场教学点", "村史馆", "共富工坊"]
JOINT_ACTIVITIES = [
    ("{s}联合推介会", "成员村抱团参加{s}推介，统一发布线路和优惠，吸引客商{hub}现场洽谈。"),
    ("联合主题党日", "成员村党组织在{hub}联合开展主题党日，交流{s}工作经验。"),
    ("{s}淡季联合营销", "淡季客源下滑，成员村统一打包{s}产品，在直播平台联合营销。"),
    ("片区联合巡河护林", "成员村党员志愿者联合巡河护林，排查隐患，清理垃圾。"),
    ("联盟书记工作例会", "各成员村书记在{hub}碰头，通报{s}项目进度，协调解决共性难题。"),
]
SITES_PROVINCE = 318  # 现场教学点 province-wide (domain brief)
VILLAGES_PROVINCE = 25_500  # villages and communities of the province-scale demo
QUZHOU = "330800"  # 衢州: 68 regional alliances around mentors' villages
QUZHOU_DENSITY = 22  # villages per alliance there
DENSITY = 45  # elsewhere, half as dense
MIN_HUB_KM = 5.0
MEMBER_KM = 12.0
CROSS_COUNTY_CANDIDATES = 60  # hub villages tried for a city's cross-county alliance (the nearest pair wins)

# Profiles: (name, share, monthly rate range, keeps the rules).
PROFILES = [
    ("steady", 0.63, (2.1, 2.9), True),
    ("keen", 0.10, (3.0, 4.4), True),
    ("behind", 0.15, (0.8, 1.6), False),
    ("fading", 0.06, (1.8, 2.6), True),
    ("silent", 0.06, (1.0, 2.2), False),
]
CONFIRM_LATE = {"steady": 0.07, "keen": 0.05, "behind": 0.22, "fading": 0.15, "silent": 0.25}


# ---------------------------------------------------------------------------------------------- inputs


@dataclass(slots=True)
class Run:
    """A running pairing, as the practice generator needs it."""

    pk: int
    programme_id: int
    rules_version: int
    region_id: int
    path: str
    start: dt.date
    planned_end: dt.date
    key: str  # the apprentice's blind index: a stable seed
    apprentice_id: int
    apprentice_person: int
    needs: list
    programme_path: str
    mentors: list = field(
        default_factory=list
    )  # (mentor id, person id, region id, path, expertise, specialties)
    profile: str = "steady"
    stop: dt.date | None = None  # the last day the pairing was active (before today)
    rng: random.Random | None = None
    policy: object = None
    demo: bool = False
    activities: list = field(default_factory=list)  # (id, day, created_at, status, area) for reviews
    editor: int | None = None  # the account that checks the ledger and decides on the plan

    @property
    def lead(self):
        return self.mentors[0]


class Ids:
    """Primary keys given up front, per model (as ``PoolBuilder.new_id``)."""

    def __init__(self, models):
        self.next = {m: m.objects.aggregate(top=Max("id"))["top"] or 0 for m in models}

    def __call__(self, model) -> int:
        self.next[model] += 1
        return self.next[model]

    def reset_sequences(self) -> None:
        statements = connection.ops.sequence_reset_sql(no_style(), list(self.next))
        if statements:
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)


@dataclass(slots=True)
class HomeMentor:
    """An appointed mentor at home in a village: a teaching site's host, an alliance's lead."""

    pk: int
    person: int
    region_id: int
    path: str
    tier: str
    titles: list
    specialties: list
    expertise: list
    programme_path: str
    appointed: dt.date
    key: str


def teacher_name_hint(title: str) -> str:
    return "导师结合“" + title + "”"


class PlanReplay:
    """One plan's steps in time order, as the plan services take them (status, revision and events)."""

    def __init__(self, builder, rng, pk, created, mentor, reviewer, frequencies):
        self.b, self.rng, self.pk = builder, rng, pk
        self.mentor, self.reviewer, self.frequencies = mentor, reviewer, frequencies
        self.clock = created
        self.status = PlanStatus.DRAFT
        self.revision = 0
        self.approved_revision = None
        self.first_submitted_at = self.submitted_at = self.approved_at = self.approved_by = None
        self.frequencies_now: dict = {}
        self.current: list = []
        self.revisions: list[list] = []
        self.events: list[tuple] = [(PlanAction.CREATE, "", PlanStatus.DRAFT, None, mentor, "", created)]

    def step(self, low: int, high: int) -> dt.datetime | None:
        moment = self.b.capped(
            self.clock + dt.timedelta(days=self.rng.randint(low, high), minutes=self.rng.randint(20, 600))
        )
        if moment is not None:
            self.clock = moment
        return moment

    def edit(self, low: int, high: int, goals: list | None = None) -> bool:
        moment = self.step(low, high)
        if moment is None:
            return False
        if goals is not None:
            self.current = goals
        self.events.append((PlanAction.EDIT, self.status, self.status, None, self.mentor, "", moment))
        return True

    def _submitted(self, goals: list, moment, comment: str, action: str) -> None:
        before = self.status
        self.revision += 1
        self.status = PlanStatus.SUBMITTED
        self.submitted_at = moment
        self.first_submitted_at = self.first_submitted_at or moment
        self.frequencies_now = self.frequencies
        self.current = goals
        self.revisions.append([self.revision, goals, self.mentor, moment, comment, "", None, None, ""])
        self.events.append(
            (action, before, PlanStatus.SUBMITTED, self.revision, self.mentor, comment, moment)
        )

    def submit(self, goals: list, days: tuple[int, int]) -> bool:
        moment = self.step(*days)
        if moment is None:
            return False
        self._submitted(goals, moment, "", PlanAction.SUBMIT)
        return True

    def revise(self, goals: list, comment: str) -> bool:
        moment = self.step(60, 150)
        if moment is None:
            return False
        self._submitted(goals, moment, comment, PlanAction.REVISE)
        return True

    def decide(self, decision: str, comment: str) -> bool:
        moment = self.step(2, 12)
        if moment is None:
            return False
        after = PlanStatus.APPROVED if decision == Decision.APPROVED else PlanStatus.RETURNED
        self.revisions[-1][5:9] = [decision, self.reviewer, moment, comment]
        action = PlanAction.APPROVE if decision == Decision.APPROVED else PlanAction.RETURN
        self.events.append(
            (action, PlanStatus.SUBMITTED, after, self.revision, self.reviewer, comment, moment)
        )
        self.status = after
        if decision == Decision.APPROVED:
            self.approved_at, self.approved_by, self.approved_revision = moment, self.reviewer, self.revision
        return True


class PracticeBuilder:
    def __init__(self, *, seed: int, today: dt.date):
        self.seed = seed
        self.today = today
        self.yesterday = today - dt.timedelta(days=1)
        self.cutoff = dt.datetime.combine(today, dt.time(0), tzinfo=TZ)  # nothing recorded after this
        self.counts: Counter = Counter()
        self.seconds: dict[str, float] = {}

    # ------------------------------------------------------------------ inputs
    def load(self) -> None:
        self.ids = Ids(
            [Activity, Review, MentoringPlan, PlanGoal, PlanRevision, Assignment, Submission]
            + [TeachingSite, OpenClass, Alliance, JointActivity]
        )
        regions = Region.objects.current().filter(depth__gte=Level.CITY)
        self.places: dict[int, tuple] = {}
        self.by_path: dict[str, int] = {}
        self.code_of: dict[str, str] = {}
        self.kinds: dict[int, str] = {}
        self.villages_of: dict[str, list[int]] = defaultdict(list)
        for pk, path, name, lng, lat, depth, code, kind in regions.values_list(
            "pk", "path", "name", "lng", "lat", "depth", "code", "kind"
        ):
            self.places[pk] = (path, name, lng, lat, depth)
            self.by_path[path] = pk
            self.code_of[path] = code
            self.kinds[pk] = kind
            if depth == Level.VILLAGE:
                self.villages_of[path[: Level.TOWNSHIP * PATH_STEP]].append(pk)
        users = {u.username: u for u in User.objects.filter(username__in=["mentor", "apprentice"])}
        self.demo_people = {u.person_id for u in users.values()}
        self.users_by_person = dict(User.objects.filter(person__isnull=False).values_list("person_id", "pk"))
        # The accounts that check the ledger and decide on plans: the township committee or the organisation
        # department over the pairing's region, no deeper than the programme's own department.
        self.editors = sorted(
            RoleAssignment.objects.filter(role__in=[Role.ORG_ADMIN, Role.TOWNSHIP]).values_list(
                "region__path", "user_id"
            ),
            key=lambda row: -len(row[0]),
        )
        self.runs = self._runs()

    def _runs(self) -> list[Run]:
        rows = (
            Pairing.objects.filter(status__in=RUNNING_STATES, start_date__lt=self.today)
            .order_by("pk")
            .values_list(
                "pk",
                "programme_id",
                "rules_version",
                "region_id",
                "region__path",
                "start_date",
                "planned_end_date",
                "apprentice__person__id_number_index",
                "apprentice_id",
                "apprentice__person_id",
                "apprentice__needs",
                "programme__region__path",
            )
        )
        runs = {row[0]: Run(*row) for row in rows}
        members = (
            PairingMentor.objects.filter(pairing_id__in=list(runs))
            .order_by("pairing_id", "-is_primary", "pk")
            .values_list(
                "pairing_id",
                "mentor_id",
                "mentor__person_id",
                "mentor__region_id",
                "mentor__region__path",
                "mentor__expertise",
                "mentor__specialties",
            )
        )
        for pairing_id, *mentor in members:
            runs[pairing_id].mentors.append(tuple(mentor))
        book = policies({(r.programme_id, r.rules_version) for r in runs.values()})
        names, shares = [p[0] for p in PROFILES], [p[1] for p in PROFILES]
        for run in runs.values():
            run.rng = random.Random(f"{self.seed}-practice-{run.key}")
            run.policy = book[(run.programme_id, run.rules_version)]
            run.demo = run.apprentice_person in self.demo_people
            run.editor = self.editor_for(run.path, run.programme_path)
            run.profile = "keen" if run.demo else run.rng.choices(names, shares)[0]
            if run.profile == "fading":
                run.stop = self.today - dt.timedelta(days=run.rng.randint(28, 55))
            elif run.profile == "silent":
                run.stop = self.today - dt.timedelta(days=run.rng.randint(61, 170))
            else:
                run.stop = self.yesterday
        return sorted(runs.values(), key=lambda r: r.key)

    def editor_for(self, path: str, programme_path: str) -> int | None:
        for region_path, user in self.editors:
            if path.startswith(region_path) and len(region_path) >= len(programme_path):
                return user
        return None

    def user_of(self, person: int) -> int | None:
        return self.users_by_person.get(person)

    def at(self, rng: random.Random, day: dt.date, low: int = 8 * 60, high: int = 21 * 60) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(0), tzinfo=TZ) + dt.timedelta(minutes=rng.randint(low, high))

    def capped(self, moment: dt.datetime) -> dt.datetime | None:
        """``moment`` if it lies before today, else None (it has not happened yet)."""
        return moment if moment < self.cutoff else None

    # ------------------------------------------------------------------ the ledger
    def plan_ledger(self) -> None:
        self.activity_rows: list[tuple] = []
        self.activity_events: list[tuple] = []
        self.review_rows: list[tuple] = []
        self.review_links: list[tuple] = []
        weights: dict[dt.date, float] = {}
        day = self.today - dt.timedelta(days=800)
        while day <= self.today:
            weights[day] = day_weight(day)
            day += dt.timedelta(days=1)
        mean = sum(weights.values()) / len(weights)
        self.weights = {d: w / mean for d, w in weights.items()}
        for run in self.runs:
            specs = [(*spec, None) for spec in self.activity_days(run)]
            if run.demo:
                specs = self.demo_specs(run, specs)
            for spec in specs:
                self.write_activity(run, *spec)
            self.plan_reviews(run)
        self.counts["activities"] = len(self.activity_rows)
        self.counts["reviews"] = len(self.review_rows)

    def activity_days(self, run: Run) -> list[tuple]:
        """(day, method, areas, place id) of the pairing's activities, month by month."""
        rng = run.rng
        rate_low, rate_high = next(p[2] for p in PROFILES if p[0] == run.profile)
        keeps = next(p[3] for p in PROFILES if p[0] == run.profile)
        rate = rng.uniform(rate_low, rate_high)
        first, last = run.start, min(run.stop, self.yesterday)
        specs: list[tuple] = []
        if last < first:
            return specs
        # The first talk, within a week of the 拜师 ceremony.
        opening = min(first + dt.timedelta(days=rng.randint(0, 7)), last)
        specs.append(self.spec(run, opening, M.HEART_TO_HEART_TALK))
        month = month_start(first)
        while month <= last:
            end = next_month(month) - dt.timedelta(days=1)
            lo, hi = max(month, first), min(end, last)
            days = [lo + dt.timedelta(days=i) for i in range((hi - lo).days + 1)]
            w = [self.weights[d] for d in days]
            full = (end - month).days + 1
            expected = rate * sum(w) / full
            n = int(expected + rng.random())
            if keeps and lo == month and hi == end and rng.random() < 0.88:
                n = max(n, run.policy.activities_per_month)
            taken = {s[0] for s in specs}
            chosen = sorted({d for d in rng.choices(days, w, k=n) if d not in taken}) if n else []
            month_specs = [self.spec(run, d) for d in chosen]
            on_site = any(self.places[s[3]][4] == Level.VILLAGE for s in month_specs)
            if keeps and month_specs and not on_site and rng.random() < 0.8:
                i = rng.randrange(len(month_specs))
                d, method, areas, _place = month_specs[i]
                month_specs[i] = (d, method, areas, self.village_place(run, rng))
            specs.extend(month_specs)
            month = next_month(month)
        if keeps:  # a talk each quarter, as the rules ask
            by_quarter = defaultdict(list)
            for i, s in enumerate(specs):
                by_quarter[quarter_of(s[0])].append(i)
            for indices in by_quarter.values():
                if not any(specs[i][1] == M.HEART_TO_HEART_TALK for i in indices) and rng.random() < 0.85:
                    i = rng.choice(indices)
                    d, _method, _areas, place = specs[i]
                    specs[i] = (d, M.HEART_TO_HEART_TALK, [CA.IDEALS_ROOTING], place)
        specs.sort(key=lambda s: s[0])
        return specs

    def demo_specs(self, run: Run, specs: list[tuple]) -> list[tuple]:
        """The demo pairing's ledger ends with entries for both accounts to confirm, and shows each standing."""
        y = self.yesterday
        specs = [s for s in specs if s[0] < y - dt.timedelta(days=4)]
        marks = {35: "overdue", 50: "verified", 64: "questionable"}
        for i, s in enumerate(specs):
            for days, mark in list(marks.items()):
                if s[0] <= y - dt.timedelta(days=days):
                    continue
                specs[i] = (*s[:4], mark)
                del marks[days]
                break
        village = self.village_place(run, run.rng)
        own = run.region_id if self.places[run.region_id][4] == Level.VILLAGE else village
        specs += [
            (y - dt.timedelta(days=3), M.DIAGNOSTIC_VISIT, [CA.COMMON_PROSPERITY], own, "mentor_awaiting"),
            (
                y - dt.timedelta(days=1),
                M.SUPERVISED_PRACTICE,
                [CA.GOVERNANCE_HARMONY],
                own,
                "apprentice_awaiting",
            ),
            (y, M.HEART_TO_HEART_TALK, [CA.IDEALS_ROOTING], run.lead[2], "mentor_awaiting"),
        ]
        return specs

    def village_place(self, run: Run, rng: random.Random) -> int:
        """A village of the pairing: the apprentice's own, the mentor's, or one of the apprentice's township."""
        own = self.places[run.region_id]
        if own[4] == Level.VILLAGE and rng.random() < 0.65:
            return run.region_id
        mentor_place = self.places.get(run.lead[2])
        if mentor_place and mentor_place[4] == Level.VILLAGE and rng.random() < 0.6:
            return run.lead[2]
        villages = self.villages_of.get(run.path[: Level.TOWNSHIP * PATH_STEP])
        return rng.choice(villages) if villages else run.region_id

    def spec(self, run: Run, day: dt.date, method: str | None = None) -> tuple:
        rng = run.rng
        method = method or rng.choices(METHODS, METHOD_W)[0]
        pool = list(run.needs) or [CA.MASS_WORK_SERVICE]
        expertise = list(run.lead[4]) or pool
        if method == M.HEART_TO_HEART_TALK and rng.random() < 0.6:
            areas = [CA.IDEALS_ROOTING]
        else:
            first = rng.choice(pool) if rng.random() < 0.75 else rng.choice(expertise)
            areas = [first]
            if rng.random() < 0.3:
                second = rng.choice(pool + expertise)
                if second != first:
                    areas.append(second)
        areas.sort(key=AREA_ORDER.__getitem__)
        r = rng.random()
        if method == M.HEART_TO_HEART_TALK and r < 0.45:
            place = self.by_path.get(run.path[: Level.TOWNSHIP * PATH_STEP], run.region_id)  # in the office
        elif r < 0.8:
            place = self.village_place(run, rng)
        else:
            township = self.by_path.get(run.path[: Level.TOWNSHIP * PATH_STEP])
            place = township or run.region_id
        return (day, method, areas, place)

    def write_activity(
        self, run: Run, day: dt.date, method: str, areas: list, place: int, force: str | None = None
    ) -> None:
        rng = run.rng
        pk = self.ids(Activity)
        low, high = DURATIONS.get(method, (60, 150))
        duration = rng.randint(low // 10, high // 10) * 10
        place_path, place_name, lng0, lat0, depth = self.places[place]
        specialties = run.lead[5] or ["村级集体经济"]
        summary = _summary(rng, method, areas[0], place_name, rng.choice(specialties))
        problems = _problems(rng, areas)
        by_apprentice = rng.random() < 0.3 if force is None else force == "apprentice_awaiting"
        side = Side.APPRENTICE if by_apprentice else Side.MENTOR
        mentor_user = self.user_of(run.lead[1])
        apprentice_user = self.user_of(run.apprentice_person)
        author = apprentice_user if by_apprentice else mentor_user
        counterpart = mentor_user if by_apprentice else apprentice_user
        # Recorded the same evening, or a day or a few later (never after yesterday).
        delay = rng.choices((0, 1, 2, 4), (60, 25, 10, 5))[0] if force is None else 0
        created_day = min(day + dt.timedelta(days=delay), self.yesterday)
        created = self.at(rng, created_day, 17 * 60 if created_day == day else 8 * 60, 22 * 60 + 30)
        confirm_due = created_day + dt.timedelta(days=run.policy.confirm_within_days)
        lng = lat = accuracy = None
        if lng0 is not None and rng.random() < (0.9 if run.demo else 0.35):
            lng = round(lng0 + rng.uniform(-0.004, 0.004), 6)
            lat = round(lat0 + rng.uniform(-0.003, 0.003), 6)
            accuracy = rng.randint(6, 60)
        events = [(pk, AA.RECORD, author, "", {}, created)]
        revision = 1
        status = ActivityStatus.RECORDED
        confirmed_at = confirmed_by = None
        r = rng.random()
        moment = created
        if r < 0.02 and force is None:  # a correction of the duration before the counterpart saw it
            before = max(30, min(240, duration + rng.choice((-30, 30, 60))))
            moment = self.capped(created + dt.timedelta(minutes=rng.randint(5, 600)))
            if moment and before != duration:
                events.append((pk, AA.CORRECT, author, "", {"duration_min": [before, duration]}, moment))
                revision = 2
            moment = moment or created
        if r > 0.995 and force is None:
            withdrawn = self.capped(moment + dt.timedelta(minutes=rng.randint(10, 2000)))
            if withdrawn:
                status = ActivityStatus.WITHDRAWN
                events.append((pk, AA.WITHDRAW, author, rng.choice(WITHDRAW_REASONS), {}, withdrawn))
        elif rng.random() >= CONFIRM_LATE[run.profile] and force not in (
            "mentor_awaiting",
            "apprentice_awaiting",
            "overdue",
        ):
            minutes = 20 + int(rng.expovariate(1 / (60 * 18)))
            confirmed = moment + dt.timedelta(minutes=minutes)
            window_end = dt.datetime.combine(confirm_due, dt.time(23, 0), tzinfo=TZ)
            if confirmed <= window_end and confirmed < self.cutoff:
                status, confirmed_at, confirmed_by = ActivityStatus.CONFIRMED, confirmed, counterpart
                events.append((pk, AA.CONFIRM, counterpart, "", {}, confirmed))
        verification, note, verified_by, verified_at = Verification.UNREVIEWED, "", None, None
        if status != ActivityStatus.WITHDRAWN:
            r = rng.random()
            checker = run.editor
            last_event = events[-1][5]
            if force in ("verified", "questionable"):
                r = 0.001 if force == "questionable" else 0.02
            elif force:
                r = 1.0
            if r < 0.035 or (r < 0.045 and run.profile in ("behind", "silent")):
                checked = self.capped(self.at(rng, last_event.date() + dt.timedelta(days=rng.randint(3, 20))))
                if checked and checked > last_event:
                    question = r < 0.006 or r >= 0.035
                    if question:
                        note = rng.choice(QUESTION_NOTES)
                        verification = Verification.QUESTIONABLE
                        events.append((pk, AA.QUESTION, checker, note, {}, checked))
                        cleared = self.capped(checked + dt.timedelta(days=rng.randint(3, 20)))
                        if cleared and rng.random() < 0.5 and force is None:
                            checked, note, verification = cleared, CLEARED_NOTE, Verification.VERIFIED
                            events.append((pk, AA.VERIFY, checker, note, {}, cleared))
                    else:
                        note, verification = rng.choice(VERIFY_NOTES), Verification.VERIFIED
                        events.append((pk, AA.VERIFY, checker, note, {}, checked))
                    verified_by, verified_at = checker, checked
        updated = events[-1][5]
        self.activity_rows.append(
            (
                pk,
                run.pk,
                run.region_id,
                day,
                duration,
                method,
                areas,
                place,
                depth == Level.VILLAGE,
                lng,
                lat,
                accuracy,
                summary,
                problems,
                author,
                side,
                status,
                confirm_due,
                confirmed_at,
                confirmed_by,
                verification,
                note,
                verified_by,
                verified_at,
                revision,
                created,
                updated,
            )
        )
        self.activity_events.extend(events)
        run.activities.append((pk, day, created, status, areas[0]))

    def plan_reviews(self, run: Run) -> None:
        """A 复盘 every two or three months over the activities since the last one, for most pairings."""
        rng = run.rng
        if run.profile in ("behind", "silent") and rng.random() < 0.7:
            return
        if not run.demo and rng.random() < 0.25:
            return
        mentor_user = self.user_of(run.lead[1])
        pending: list[tuple] = []
        next_at = run.start + dt.timedelta(days=rng.randint(45, 90))
        for activity in run.activities:
            if activity[3] == ActivityStatus.WITHDRAWN:
                continue
            pending.append(activity)
            if activity[1] < next_at or len(pending) < 2:
                continue
            linked = pending[-rng.randint(2, 4) :]
            written = self.capped(max(a[2] for a in linked) + dt.timedelta(minutes=rng.randint(30, 3 * 1440)))
            if written is None:
                break
            pk = self.ids(Review)
            topic = rng.choice(TOPICS[linked[-1][4]])
            self.review_rows.append(
                (
                    pk,
                    run.pk,
                    mentor_user,
                    rng.choice(LESSONS).format(topic=topic),
                    rng.choice(NEXT_STEPS).format(topic=topic),
                    written,
                )
            )
            for a in linked:
                self.review_links.append((pk, a[0]))
                self.activity_events.append((a[0], AA.REVIEW, mentor_user, "", {"review": pk}, written))
            pending = []
            next_at = activity[1] + dt.timedelta(days=rng.randint(55, 100))

    def write_ledger(self) -> None:
        _insert(
            Activity,
            [
                "id",
                "pairing_id",
                "region_id",
                "occurred_on",
                "duration_min",
                "method",
                "content_areas",
                "place_id",
                "on_site",
                "lng",
                "lat",
                "accuracy_m",
                "summary",
                "problems_solved",
                "logged_by_id",
                "logged_as",
                "status",
                "confirm_due",
                "confirmed_at",
                "confirmed_by_id",
                "verification",
                "verification_note",
                "verified_by_id",
                "verified_at",
                "revision",
                "created_at",
                "updated_at",
            ],
            self.activity_rows,
        )
        _insert(
            ActivityEvent,
            ["activity_id", "action", "actor_id", "note", "changes", "at"],
            self.activity_events,
        )
        _insert(
            Review,
            ["id", "pairing_id", "written_by_id", "lessons", "next_steps", "created_at"],
            self.review_rows,
        )
        _insert(Review.activities.through, ["review_id", "activity_id"], self.review_links)
        self.counts["activity_events"] = len(self.activity_events)

    # ------------------------------------------------------------------ plans
    def plan_plans(self) -> None:
        self.plan_rows, self.goal_rows, self.revision_rows, self.plan_events = [], [], [], []
        states: Counter = Counter()
        for run in self.runs:
            outcome = self.plan_outcome(run)
            if outcome is not None:
                self.write_plan(run, outcome)
        states.update(row[3] for row in self.plan_rows)
        self.counts.update({f"plans.{k}": v for k, v in sorted(states.items())})
        self.counts["plans"] = len(self.plan_rows)

    def plan_outcome(self, run: Run) -> str | None:
        """What became of the pairing's plan: none, draft, submitted, returned, approved or revised."""
        rng = run.rng
        if run.demo:
            return "approved_after_return"
        due = run.start + dt.timedelta(days=run.policy.plan_due_days)
        age = (self.today - run.start).days
        if due >= self.today:  # not due yet
            return rng.choices([None, "draft", "submitted", "approved"], [3, 4, 3, 1 if age > 12 else 0])[0]
        slack = run.profile in ("behind", "silent")
        weights = {
            None: 12 if slack else 2,
            "draft": 8 if slack else 2,
            "submitted": 8,
            "returned": 7,
            "approved": 55,
            "approved_after_return": 16,
            "revised": 6,
        }
        return rng.choices(list(weights), list(weights.values()))[0]

    def goals_for(self, run: Run, vague: bool = False) -> list[tuple]:
        rng = run.rng
        areas = list(dict.fromkeys([*run.needs, *rng.sample(AREAS, 3)]))[: rng.randint(3, 5)]
        specialty = rng.choice(run.lead[5] or ["特色产业"])
        span = max(30, (run.planned_end - run.start).days)
        goals = []
        for area in areas:
            description, target = rng.choice(GOALS[area])
            due = run.start + dt.timedelta(days=rng.randint(min(60, span), span))
            goals.append(
                (
                    area,
                    description.format(specialty=specialty),
                    target.format(n=rng.randint(2, 6), m=rng.randint(10, 30), k=rng.randint(1, 4)),
                    min(due, run.planned_end),
                )
            )
        goals.sort(key=lambda g: g[3])
        return goals

    def write_plan(self, run: Run, outcome: str) -> None:
        """Replay the plan workflow of ``bangdai.plans.services`` up to ``outcome`` (or as far as time allows)."""
        rng = run.rng
        pk = self.ids(MentoringPlan)
        mentor = self.user_of(run.lead[1])
        reviewer = run.editor
        frequencies = {name: getattr(run.policy, name) for name in FREQUENCY_RULES}
        late = run.profile in ("behind", "silent") and rng.random() < 0.6
        # Drafted in the first weeks; handed in within the deadline, or (the late ones) one to three months on.
        created = self.capped(self.at(rng, run.start + dt.timedelta(days=rng.randint(1, 16))))
        if created is None:
            return
        plan = PlanReplay(self, rng, pk, created, mentor, reviewer, frequencies)
        goals = plan.current = self.goals_for(run)
        returned_first = outcome in ("returned", "approved_after_return")
        if rng.random() < 0.4:
            plan.edit(0, 3)
        if outcome != "draft":
            first = self.vaguer(goals) if returned_first else goals
            days = (35, 90) if late else (1, 8)
            waited = (self.today - plan.clock.date()).days
            if outcome == "submitted" and waited > 30:  # handed in lately, waiting for the committee
                days = (waited - 20, waited - 2)
            self.replay_plan(run, plan, outcome, first, goals, days)
        # Goals of an approved plan met along the way, after the last step of the workflow.
        goal_rows = []
        for position, (area, description, target, due_on) in enumerate(plan.current):
            achieved_on, note = None, ""
            if plan.approved_revision and due_on < self.today and rng.random() < 0.6:
                low = max(run.start, plan.clock.date() + dt.timedelta(days=1))
                high = min(due_on, self.yesterday)
                if low <= high:
                    achieved_on = low + dt.timedelta(days=rng.randint(0, (high - low).days))
                    note = "已完成，佐证材料见台账。"
                    moment = self.at(rng, achieved_on, 17 * 60, 21 * 60)
                    plan.events.append(
                        (
                            PlanAction.ACHIEVE,
                            plan.status,
                            plan.status,
                            plan.revision or None,
                            mentor,
                            f"{description}\n{note}",
                            moment,
                        )
                    )
            goal_rows.append(
                (
                    self.ids(PlanGoal),
                    pk,
                    position,
                    area,
                    description,
                    target,
                    due_on,
                    achieved_on,
                    note,
                    mentor if achieved_on else None,
                )
            )
        plan.events.sort(key=lambda e: e[6])
        self.goal_rows.extend(goal_rows)
        summary = rng.choice(PLAN_SUMMARIES).format(specialty=rng.choice(run.lead[5] or ["特色产业"]))
        self.plan_rows.append(
            (
                pk,
                run.pk,
                summary,
                plan.status,
                plan.revision,
                plan.approved_revision,
                plan.frequencies_now,
                mentor,
                plan.first_submitted_at,
                plan.submitted_at,
                plan.approved_at,
                plan.approved_by,
                created,
                plan.events[-1][6],
            )
        )
        for (
            number,
            goal_list,
            by,
            at,
            comment,
            decision,
            decided_by,
            decided_at,
            decision_comment,
        ) in plan.revisions:
            snapshot = [
                {"content_area": a, "description": d, "measurable_target": t, "due_on": due_on.isoformat()}
                for a, d, t, due_on in goal_list
            ]
            self.revision_rows.append(
                (
                    self.ids(PlanRevision),
                    pk,
                    number,
                    summary,
                    snapshot,
                    by,
                    at,
                    comment,
                    decision,
                    decided_by,
                    decided_at,
                    decision_comment,
                )
            )
        self.plan_events.extend((pk, *e) for e in plan.events)

    def replay_plan(self, run: Run, plan: "PlanReplay", outcome: str, first: list, goals: list, days) -> None:
        """Submit, then return or approve (and revise) as ``outcome`` says, as far as time allows."""
        rng = run.rng
        if not plan.submit(first, days) or outcome == "submitted":
            return
        if outcome in ("returned", "approved_after_return"):
            returned = plan.decide(Decision.RETURNED, rng.choice(RETURN_COMMENTS))
            if not returned or outcome == "returned":
                return
            if plan.edit(1, 6, goals) and plan.submit(goals, (1, 6)):
                plan.decide(Decision.APPROVED, rng.choice(APPROVE_COMMENTS))
            return
        if not plan.decide(Decision.APPROVED, rng.choice(APPROVE_COMMENTS)) or outcome != "revised":
            return
        area = rng.choice(AREAS)
        description, target = rng.choice(GOALS[area])
        extra_due = min(run.planned_end, self.today + dt.timedelta(days=60))
        extra = (area, description.format(specialty="特色产业"), target.format(n=3, m=12, k=2), extra_due)
        if plan.revise([*goals, extra], rng.choice(REVISE_COMMENTS)) and rng.random() < 0.6:
            plan.decide(Decision.APPROVED, "同意修订。")

    @staticmethod
    def vaguer(goals: list[tuple]) -> list[tuple]:
        """The first revision the committee returned: the same goals, the first target not yet measurable."""
        first = goals[0]
        return [(first[0], first[1], "努力完成", first[3]), *goals[1:]]

    def write_plans(self) -> None:
        _insert(
            MentoringPlan,
            [
                "id",
                "pairing_id",
                "summary",
                "status",
                "revision",
                "approved_revision",
                "required_frequencies",
                "drafted_by_id",
                "first_submitted_at",
                "submitted_at",
                "approved_at",
                "approved_by_id",
                "created_at",
                "updated_at",
            ],
            self.plan_rows,
        )
        _insert(
            PlanGoal,
            [
                "id",
                "plan_id",
                "position",
                "content_area",
                "description",
                "measurable_target",
                "due_on",
                "achieved_on",
                "achieved_note",
                "achieved_by_id",
            ],
            self.goal_rows,
        )
        _insert(
            PlanRevision,
            [
                "id",
                "plan_id",
                "number",
                "summary",
                "goals",
                "submitted_by_id",
                "submitted_at",
                "comment",
                "decision",
                "decided_by_id",
                "decided_at",
                "decision_comment",
            ],
            self.revision_rows,
        )
        _insert(
            PlanEvent,
            ["plan_id", "action", "from_status", "to_status", "revision", "actor_id", "comment", "at"],
            self.plan_events,
        )

    # ------------------------------------------------------------------ assignments
    def plan_assignments(self) -> None:
        self.assignment_rows, self.submission_rows, self.assignment_events = [], [], []
        states: Counter = Counter()
        for run in self.runs:
            for status in self.write_assignments(run):
                states[status] += 1
        self.counts.update({f"assignments.{k}": v for k, v in sorted(states.items())})
        self.counts["assignments"] = len(self.assignment_rows)

    def write_assignments(self, run: Run) -> list[str]:
        """About one a quarter (a few more for keen mentors), issued while the pairing was active."""
        rng = run.rng
        last = min(run.stop, self.yesterday)
        statuses = []
        day = run.start + dt.timedelta(days=rng.randint(10, 40))
        gap = (60, 100) if run.profile != "keen" else (40, 75)
        if run.profile == "behind":
            gap = (90, 160)
        plan = []
        while day <= last:
            plan.append(day)
            day += dt.timedelta(days=rng.randint(*gap))
        if run.demo:
            # One to submit (issued a few days ago), one to review (submitted yesterday).
            plan = [d for d in plan if d < self.today - dt.timedelta(days=40)]
            plan += [self.today - dt.timedelta(days=12), self.today - dt.timedelta(days=4)]
        for i, issued_day in enumerate(plan):
            demo_kind = None
            if run.demo and i >= len(plan) - 2:
                demo_kind = "to_review" if i == len(plan) - 2 else "to_submit"
            status = self.write_assignment(run, issued_day, demo_kind)
            if status:
                statuses.append(status)
        return statuses

    def write_assignment(self, run: Run, issued_day: dt.date, demo_kind: str | None) -> str | None:
        rng = run.rng
        mentor = self.user_of(run.lead[1])
        apprentice = self.user_of(run.apprentice_person)
        issued = self.capped(self.at(rng, issued_day))
        if issued is None:
            return None
        due = issued_day + dt.timedelta(days=rng.randint(14, 30))
        if due > run.planned_end:
            due = run.planned_end
        if due < issued_day:
            return None
        area = rng.choice(list(run.needs) or AREAS)
        title, brief = ASSIGNMENTS[area]
        pk = self.ids(Assignment)
        events = [(AssignmentAction.ISSUE, "", AS.ISSUED, mentor, "", issued)]
        row = {
            "status": AS.ISSUED,
            "count": 0,
            "first": None,
            "last": None,
            "feedback": "",
            "score": None,
            "reviewed_at": None,
            "reviewed_by": None,
            "withdrawn_at": None,
            "withdraw_reason": "",
        }
        submissions = []
        r = rng.random()
        slack = run.profile in ("behind", "silent", "fading")
        if demo_kind == "to_submit":
            r = 1.0  # never answered yet
        elif demo_kind == "to_review":
            r = 0.5
        if demo_kind != "to_submit" and r < 0.03:
            moment = self.capped(issued + dt.timedelta(days=rng.randint(1, 10)))
            if moment:
                row.update(status=AS.WITHDRAWN, withdrawn_at=moment, withdraw_reason="工作安排调整，另行布置")
                events.append(
                    (
                        AssignmentAction.WITHDRAW,
                        AS.ISSUED,
                        AS.WITHDRAWN,
                        mentor,
                        row["withdraw_reason"],
                        moment,
                    )
                )
        elif r < (0.7 if slack else 0.9):
            # Answered: mostly before the due date, some late; a second answer before the review now and then.
            days = (
                rng.randint(3, max(3, (due - issued_day).days))
                if rng.random() < 0.85
                else (due - issued_day).days + rng.randint(1, 12)
            )
            if demo_kind == "to_review":
                days = 3
            moment = self.capped(self.at(rng, issued_day + dt.timedelta(days=days), 18 * 60, 23 * 60))
            if moment and moment > issued:
                for n in (1, 2) if rng.random() < 0.1 and demo_kind is None else (1,):
                    if n == 2:
                        moment = self.capped(moment + dt.timedelta(hours=rng.randint(2, 48)))
                        if moment is None:
                            break
                        submissions[-1][4] = moment  # the earlier answer is superseded
                    submissions.append([n, rng.choice(ANSWERS), apprentice, moment, None])
                    before = row["status"]
                    row.update(status=AS.SUBMITTED, count=n, last=moment, first=row["first"] or moment)
                    action = AssignmentAction.RESUBMIT if n > 1 else AssignmentAction.SUBMIT
                    events.append((action, before, AS.SUBMITTED, apprentice, "", moment))
                # Reviewed within the fortnight, most of the time.
                wait = rng.randint(1, 13) if rng.random() < 0.85 else rng.randint(15, 30)
                reviewed = (
                    None
                    if demo_kind == "to_review"
                    else self.capped(self.at(rng, row["last"].date() + dt.timedelta(days=wait)))
                )
                if reviewed and reviewed > row["last"] and (not slack or rng.random() < 0.7):
                    score = max(40, min(100, int(rng.gauss(82, 8))))
                    feedback = rng.choice(FEEDBACK)
                    row.update(
                        status=AS.REVIEWED,
                        feedback=feedback,
                        score=score,
                        reviewed_at=reviewed,
                        reviewed_by=mentor,
                    )
                    events.append(
                        (
                            AssignmentAction.REVIEW,
                            AS.SUBMITTED,
                            AS.REVIEWED,
                            mentor,
                            f"{score} · {feedback}",
                            reviewed,
                        )
                    )
        for number, text, by, at, superseded in submissions:
            self.submission_rows.append((self.ids(Submission), pk, number, text, by, at, superseded))
        self.assignment_rows.append(
            (
                pk,
                run.pk,
                title,
                brief,
                area,
                due,
                row["status"],
                mentor,
                issued,
                row["count"],
                row["first"],
                row["last"],
                row["feedback"],
                row["score"],
                row["reviewed_at"],
                row["reviewed_by"],
                row["withdrawn_at"],
                row["withdraw_reason"],
                events[-1][5],
            )
        )
        self.assignment_events.extend((pk, *e) for e in events)
        return row["status"]

    def write_assignments_rows(self) -> None:
        _insert(
            Assignment,
            [
                "id",
                "pairing_id",
                "title",
                "brief",
                "content_area",
                "due_on",
                "status",
                "issued_by_id",
                "issued_at",
                "submission_count",
                "first_submitted_at",
                "submitted_at",
                "feedback",
                "score",
                "reviewed_at",
                "reviewed_by_id",
                "withdrawn_at",
                "withdraw_reason",
                "updated_at",
            ],
            self.assignment_rows,
        )
        _insert(
            Submission,
            ["id", "assignment_id", "number", "text", "submitted_by_id", "submitted_at", "superseded_at"],
            self.submission_rows,
        )
        _insert(
            AssignmentEvent,
            ["assignment_id", "action", "from_status", "to_status", "actor_id", "comment", "at"],
            self.assignment_events,
        )

    # ------------------------------------------------------------------ teaching sites and open classes
    def load_network(self) -> None:
        """Appointed mentors at home in a village, and the apprentices who may take seats in open classes."""
        self.region_users = {path: user for path, user in self.editors}
        self.admins_by_path = dict(
            RoleAssignment.objects.filter(role=Role.ORG_ADMIN).values_list("region__path", "user_id")
        )
        rows = (
            Mentor.objects.filter(status=MentorStatus.ACTIVE, region__depth=Level.VILLAGE)
            .order_by("region__path", "pk")
            .values_list(
                "pk",
                "person_id",
                "region_id",
                "region__path",
                "tier",
                "titles",
                "specialties",
                "expertise",
                "programme__region__path",
                "appointed_at",
                "person__id_number_index",
            )
        )
        self.home_mentors = [HomeMentor(*row) for row in rows]
        self.apprentices = list(
            Apprentice.objects.filter(status__in=ACTIVE_APPRENTICE)
            .order_by("person__id_number_index", "pk")
            .values_list("pk", "person_id", "region__path", "programme__region__path")
        )
        self.apprentices_by_county: dict[str, list[tuple]] = defaultdict(list)
        for row in self.apprentices:
            self.apprentices_by_county[row[2][: Level.COUNTY * PATH_STEP]].append(row)
        villages = [p for p in self.places.values() if p[4] == Level.VILLAGE]
        self.scope_villages = len(villages)
        self.counties = sorted({p[0][: Level.COUNTY * PATH_STEP] for p in villages})
        self.demo_villages = {m.region_id for m in self.home_mentors if m.person in self.demo_people}

    def plan_teaching(self) -> None:
        self.site_rows, self.site_hosts, self.class_rows, self.enrolment_rows, self.teaching_events = (
            [],
            [],
            [],
            [],
            [],
        )
        target = max(3 * len(self.counties), round(SITES_PROVINCE * self.scope_villages / VILLAGES_PROVINCE))
        hosts = self.site_hosts_ranked()[:target]
        by_village = defaultdict(list)
        for m in self.home_mentors:
            by_village[m.region_id].append(m)
        for host in sorted(hosts, key=lambda m: m.path):
            self.write_site(host, by_village[host.region_id])
        self.counts["teaching_sites"] = len(self.site_rows)
        self.counts["open_classes"] = len(self.class_rows)
        self.counts["enrolments"] = len(self.enrolment_rows)
        self.counts["attendances"] = sum(1 for e in self.enrolment_rows if e[7] is not None)

    def site_hosts_ranked(self) -> list["HomeMentor"]:
        """Mentors whose village becomes a teaching site: 兴村名师 and 治社名师 first, then other honoured
        secretaries, one per village; the demo mentor's village always."""
        honour = {
            MentorTitle.XINGCUN_MINGSHI: 0,
            MentorTitle.ZHISHE_MINGSHI: 0,
            MentorTitle.DANDANG_HAO_ZHISHU: 1,
            MentorTitle.QIANMING_HAO_ZHISHU: 2,
        }
        tier_rank = {MentorTier.PROVINCIAL: 0, MentorTier.MUNICIPAL: 1, MentorTier.COUNTY: 2}

        def rank(m: HomeMentor):
            demo = m.person in self.demo_people
            titles = [honour[t] for t in m.titles if t in honour]
            return (not demo, min(titles, default=3), tier_rank.get(m.tier, 3), m.key)

        seen, ranked = set(), []
        for m in sorted(self.home_mentors, key=rank):
            if m.region_id in seen:
                continue
            seen.add(m.region_id)
            ranked.append(m)
        return ranked

    def write_site(self, host: "HomeMentor", neighbours: list["HomeMentor"]) -> None:
        rng = random.Random(f"{self.seed}-site-{host.path}")
        pk = self.ids(TeachingSite)
        path, village_name, *_ = self.places[host.region_id]
        level = {MentorTier.PROVINCIAL: SiteLevel.PROVINCIAL, MentorTier.MUNICIPAL: SiteLevel.MUNICIPAL}.get(
            host.tier, SiteLevel.COUNTY
        )
        depth = {SiteLevel.PROVINCIAL: Level.PROVINCE, SiteLevel.MUNICIPAL: Level.CITY}.get(
            level, Level.COUNTY
        )
        creator = self.admins_by_path.get(path[: depth * PATH_STEP])
        specialty = (host.specialties or ["乡村振兴"])[0]
        themes = sorted(set(host.expertise or [CA.COMMON_PROSPERITY]), key=AREA_ORDER.__getitem__)
        courses = [f"{s}的{village_name}实践" for s in (host.specialties or ["乡村振兴"])][:3] + [
            f"{village_name}基层治理经验"
        ]
        capacity = rng.choice((20, 30, 30, 40, 50, 60))
        academy = ""
        if level == SiteLevel.PROVINCIAL or rng.random() < 0.15:
            academy = rng.choice(ACADEMIES)
        day = max(
            host.appointed + dt.timedelta(days=rng.randint(10, 40)), self.today - dt.timedelta(days=330)
        )
        day = min(day, self.today - dt.timedelta(days=20))
        created = self.at(rng, day, 9 * 60, 17 * 60)
        closed = rng.random() < 0.02 and host.person not in self.demo_people
        self.site_rows.append(
            (
                pk,
                f"{village_name}{specialty}现场教学点",
                host.region_id,
                themes,
                courses,
                capacity,
                level,
                academy,
                f"依托{village_name}在{specialty}方面的经验，开展现场教学和开放型课堂。",
                SiteStatus.CLOSED if closed else SiteStatus.ACTIVE,
                creator,
                created,
                created,
            )
        )
        self.teaching_events.append((pk, None, TeachingAction.SITE_REGISTERED, creator, "", created))
        hosts = [host] + [m for m in neighbours if m.pk != host.pk and m.person != host.person][:1]
        self.site_hosts.extend((pk, m.pk) for m in hosts)
        # Classes every two to five weeks since the site opened, and one or two still to come.
        start = created + dt.timedelta(days=rng.randint(7, 21))
        end = self.today + dt.timedelta(days=28)
        if closed:
            end = self.today - dt.timedelta(days=rng.randint(20, 60))
        demo = host.person in self.demo_people
        teacher_pool = [m for m in hosts if m.appointed <= start.date()] or [host]
        slot = start
        while slot.date() <= end:
            teacher = rng.choice(teacher_pool)
            self.write_class(rng, pk, teacher, host.region_id, capacity, themes, courses, slot.date(), demo)
            slot += dt.timedelta(days=rng.randint(14, 35))
        if closed:
            moment = self.at(rng, end, 9 * 60, 17 * 60)
            self.teaching_events.append(
                (pk, None, TeachingAction.SITE_CLOSED, creator, "教学点所在村整体搬迁改造，暂停使用", moment)
            )
            self.site_rows[-1] = (*self.site_rows[-1][:-1], moment)
        if demo:  # a class today (check-in by QR code works all day) and one next week
            self.write_class(
                rng, pk, host, host.region_id, capacity, themes, courses, self.today, demo, today=True
            )
            self.write_class(
                rng,
                pk,
                host,
                host.region_id,
                capacity,
                themes,
                courses,
                self.today + dt.timedelta(days=7),
                demo,
            )

    def write_class(
        self, rng, site, teacher, village, capacity, themes, courses, day, demo, today=False
    ) -> None:
        if day.weekday() >= 5 and not today:
            day += dt.timedelta(days=7 - day.weekday())
        if today:
            starts = dt.datetime.combine(day, dt.time(8, 30), tzinfo=TZ)
            ends = starts + dt.timedelta(hours=12)
        else:
            starts = dt.datetime.combine(
                day, rng.choice((dt.time(9), dt.time(14), dt.time(14, 30))), tzinfo=TZ
            )
            ends = starts + dt.timedelta(minutes=rng.choice((90, 120, 150, 180)))
        pk = self.ids(OpenClass)
        scheduler = self.user_of(teacher.person)
        created = min(
            starts - dt.timedelta(days=rng.randint(8, 25), hours=rng.randint(1, 6)),
            self.cutoff - dt.timedelta(hours=rng.randint(2, 30)),
        )
        past = ends < self.cutoff
        cancelled = not today and not demo and rng.random() < 0.03 and created < self.cutoff
        cancel_at = None
        if cancelled:
            cancel_at = min(
                starts - dt.timedelta(days=rng.randint(1, 3)), self.cutoff - dt.timedelta(hours=1)
            )
            if cancel_at <= created:
                cancelled, cancel_at = False, None
        areas = sorted(rng.sample(themes, min(len(themes), rng.randint(1, 2))), key=AREA_ORDER.__getitem__)
        title = rng.choice(courses)
        method = rng.choices((M.ONSITE_TEACHING, M.MODEL_EXPORT, M.CASE_DISSECTION), (6, 2, 2))[0]
        place = rng.choice(CLASS_PLACES)
        # Seats: apprentices of the county (and the programmes covering the village), most of them attend.
        county = self.places[village][0][: Level.COUNTY * PATH_STEP]
        candidates = [a for a in self.apprentices_by_county.get(county, []) if a[1] != teacher.person]
        share = rng.uniform(0.55, 0.95) if past else rng.uniform(0.25, 0.7)
        if today:
            share = 0.6
        seats = min(len(candidates), int(capacity * share))
        chosen = rng.sample(candidates, seats) if seats else []
        if demo:
            demo_apprentices = [a for a in candidates if a[1] in self.demo_people]
            chosen = (
                demo_apprentices
                + [a for a in chosen if a not in demo_apprentices][: max(0, seats - len(demo_apprentices))]
            )
        enrolled = 0
        seen = set()
        for apprentice_id, person, _path, _programme in chosen:
            if person in seen:
                continue
            seen.add(person)
            latest = min(starts, self.cutoff) - created
            enrolled_at = created + dt.timedelta(
                seconds=rng.randint(600, max(601, int(latest.total_seconds()) - 60))
            )
            user = self.user_of(person)
            by_self = rng.random() < 0.65 or person in self.demo_people
            source = EnrolmentSource.SELF if by_self else EnrolmentSource.ADMIN
            enrolled_by = user if by_self else self.editor_for(self.places[village][0], "")
            status, withdrawn_at, attended_at, check_in, checked_by = (
                EnrolmentStatus.ENROLLED,
                None,
                None,
                "",
                None,
            )
            if rng.random() < 0.04 and person not in self.demo_people:
                moment = enrolled_at + dt.timedelta(hours=rng.randint(1, 48))
                if moment < min(starts, self.cutoff):
                    status, withdrawn_at = EnrolmentStatus.WITHDRAWN, moment
            if status == EnrolmentStatus.ENROLLED:
                enrolled += 1
                if past and not cancelled and rng.random() < 0.88:
                    if rng.random() < 0.7:
                        attended_at = starts - dt.timedelta(minutes=rng.randint(0, 29))
                        check_in, checked_by = CheckInMethod.SCAN, user
                    else:
                        attended_at = starts + dt.timedelta(minutes=rng.randint(5, 40))
                        check_in, checked_by = CheckInMethod.LIST, scheduler
            self.enrolment_rows.append(
                (
                    pk,
                    apprentice_id,
                    person,
                    status,
                    source,
                    enrolled_by,
                    enrolled_at,
                    attended_at,
                    check_in,
                    checked_by,
                    withdrawn_at,
                )
            )
        title_prefix = "开放型课堂（全天开放）：" if today else ""
        self.class_rows.append(
            (
                pk,
                title_prefix + title,
                teacher.pk,
                site,
                village,
                place,
                starts,
                ends,
                areas,
                method,
                capacity,
                enrolled,
                f"{teacher_name_hint(title)}现场授课，欢迎各村年轻干部报名参加。",
                ClassStatus.CANCELLED if cancelled else ClassStatus.SCHEDULED,
                "天气原因（台风预警），课程取消，另行安排" if cancelled else "",
                scheduler,
                created,
                cancel_at or created,
            )
        )
        self.teaching_events.append((None, pk, TeachingAction.CLASS_SCHEDULED, scheduler, "", created))
        if cancelled:
            self.teaching_events.append(
                (
                    None,
                    pk,
                    TeachingAction.CLASS_CANCELLED,
                    scheduler,
                    "天气原因（台风预警），课程取消，另行安排",
                    cancel_at,
                )
            )

    def write_teaching(self) -> None:
        _insert(
            TeachingSite,
            [
                "id",
                "name",
                "village_id",
                "themes",
                "courses",
                "capacity_per_session",
                "level",
                "academy",
                "description",
                "status",
                "created_by_id",
                "created_at",
                "updated_at",
            ],
            self.site_rows,
        )
        _insert(TeachingSite.host_mentors.through, ["teachingsite_id", "mentor_id"], self.site_hosts)
        _insert(
            OpenClass,
            [
                "id",
                "title",
                "mentor_id",
                "site_id",
                "village_id",
                "place",
                "starts_at",
                "ends_at",
                "content_areas",
                "method",
                "capacity",
                "enrolled_count",
                "description",
                "status",
                "cancel_reason",
                "created_by_id",
                "created_at",
                "updated_at",
            ],
            self.class_rows,
        )
        _insert(
            Enrolment,
            [
                "open_class_id",
                "apprentice_id",
                "person_id",
                "status",
                "source",
                "enrolled_by_id",
                "enrolled_at",
                "attended_at",
                "check_in_method",
                "checked_in_by_id",
                "withdrawn_at",
            ],
            self.enrolment_rows,
        )
        _insert(
            TeachingEvent,
            ["site_id", "open_class_id", "action", "actor_id", "reason", "at"],
            self.teaching_events,
        )

    # ------------------------------------------------------------------ alliances
    def plan_alliances(self) -> None:
        self.alliance_rows, self.member_rows, self.alliance_events = [], [], []
        self.joint_rows, self.joint_villages = [], []
        taken: set[int] = set()
        leads: set[int] = set()
        villages_by_county: dict[str, list[int]] = defaultdict(list)
        for pk, (path, _name, lng, _lat, depth) in self.places.items():
            if depth == Level.VILLAGE and lng is not None and self.kinds.get(pk) == Kind.VILLAGE:
                villages_by_county[path[: Level.COUNTY * PATH_STEP]].append(pk)
        hubs_by_village = defaultdict(list)
        for m in self.home_mentors:
            hubs_by_village[m.region_id].append(m)
        demo_first = sorted(
            villages_by_county,
            key=lambda c: not any(self.places[v][0].startswith(c) for v in self.demo_villages),
        )
        for county in demo_first:
            villages = sorted(villages_by_county[county], key=lambda v: self.places[v][0])
            rng = random.Random(f"{self.seed}-alliances-{county}")
            city_code = self.code_of.get(county[: Level.CITY * PATH_STEP])
            density = QUZHOU_DENSITY if city_code == QUZHOU else DENSITY
            wanted = round(len(villages) / density)
            candidates = [v for v in villages if hubs_by_village.get(v)]
            rng.shuffle(candidates)
            candidates.sort(key=lambda v: (v not in self.demo_villages, -self.hub_rank(hubs_by_village[v])))
            made = 0
            hubs: list[int] = []
            for hub in candidates:
                if made >= wanted:
                    break
                if hub in taken or any(self.km(hub, h) < MIN_HUB_KM for h in hubs):
                    continue
                mentors = [m for m in hubs_by_village[hub] if m.person not in leads]
                if not mentors:
                    continue
                lead = mentors[0]
                near = sorted((self.km(hub, v), v) for v in villages if v != hub and v not in taken)
                members = [v for km, v in near if km <= MEMBER_KM][: rng.randint(3, 9)]
                if len(members) < 2:
                    continue
                # Every county shows each state: its second alliance is still forming, its fourth dissolved.
                status = {1: AllianceStatus.FORMING, 3: AllianceStatus.DISSOLVED}.get(made)
                self.write_alliance(rng, self.by_path[county], hub, lead, members, status)
                taken.update([hub, *members])
                leads.add(lead.person)
                hubs.append(hub)
                made += 1
        # Across county lines: one alliance per city whose counties are in scope, organised by the city.
        for city_path in sorted({c[: Level.CITY * PATH_STEP] for c in villages_by_county}):
            counties = [c for c in villages_by_county if c.startswith(city_path)]
            city = self.by_path.get(city_path)
            if len(counties) < 2 or city is None:
                continue
            rng = random.Random(f"{self.seed}-alliances-{city_path}")
            free = [v for c in counties for v in villages_by_county[c] if v not in taken]
            best = None
            hub_candidates = [v for v in free if hubs_by_village.get(v)]
            rng.shuffle(hub_candidates)
            for hub in hub_candidates[:CROSS_COUNTY_CANDIDATES]:
                mentors = [m for m in hubs_by_village[hub] if m.person not in leads]
                if not mentors:
                    continue
                others = [
                    (self.km(hub, v), v)
                    for v in free
                    if v != hub and not self.places[v][0].startswith(self.places[hub][0][:15])
                ]
                if others:
                    km, v = min(others)
                    if best is None or km < best[0]:
                        best = (km, hub, mentors[0])
            if best is None:
                continue
            _km, hub, lead = best
            near = sorted((self.km(hub, v), v) for v in free if v != hub)[: rng.randint(4, 7)]
            members = [v for _k, v in near]
            if not any(not self.places[v][0].startswith(self.places[hub][0][:15]) for v in members):
                members[-1] = min(
                    (self.km(hub, v), v)
                    for v in free
                    if not self.places[v][0].startswith(self.places[hub][0][:15])
                )[1]
            self.write_alliance(rng, city, hub, lead, members)
            taken.update([hub, *members])
            leads.add(lead.person)
        self.counts["alliances"] = len(self.alliance_rows)
        self.counts["alliance_members"] = len(self.member_rows)
        self.counts["joint_activities"] = len(self.joint_rows)

    def hub_rank(self, mentors: list["HomeMentor"]) -> int:
        best = 0
        for m in mentors:
            score = 3 if {MentorTitle.XINGCUN_MINGSHI, MentorTitle.ZHISHE_MINGSHI} & set(m.titles) else 0
            score += 2 if MentorTitle.DANDANG_HAO_ZHISHU in m.titles else 0
            score += 1 if MentorTitle.QIANMING_HAO_ZHISHU in m.titles else 0
            best = max(best, score)
        return best

    def km(self, a: int, b: int) -> float:
        _p, _n, lng1, lat1, _d = self.places[a]
        _p, _n, lng2, lat2, _d = self.places[b]
        x = (lng1 - lng2) * 111.32 * math.cos(math.radians((lat1 + lat2) / 2))
        y = (lat1 - lat2) * 110.57
        return math.hypot(x, y)

    def write_alliance(
        self, rng, region: int, hub: int, lead: "HomeMentor", members: list[int], status: str | None = None
    ) -> None:
        pk = self.ids(Alliance)
        region_path = self.places[region][0]
        admin = self.admins_by_path.get(region_path)
        hub_name = self.places[hub][1]
        specialty = (lead.specialties or ["乡村振兴"])[0]
        demo = lead.person in self.demo_people
        theme = f"{specialty}共富"
        founded = max(
            lead.appointed + dt.timedelta(days=rng.randint(20, 90)), self.today - dt.timedelta(days=300)
        )
        founded = min(founded, self.today - dt.timedelta(days=rng.randint(15, 40)))
        r = 0.5 if demo else rng.random()
        status = (
            AllianceStatus.ACTIVE
            if demo
            else status
            if status
            else AllianceStatus.ACTIVE
            if r < 0.82
            else AllianceStatus.FORMING
            if r < 0.92
            else AllianceStatus.DISSOLVED
        )
        goals = (
            ""
            if status == AllianceStatus.FORMING and rng.random() < 0.5
            else (
                f"以{hub_name}为中心，联合周边村抱团发展{specialty}，共享客源、品牌和人才，三年内成员村集体经营性收入全部超过50万元。"
            )
        )
        targets = (
            [
                {
                    "description": "成员村集体经营性收入超过50万元的村",
                    "value": len(members) + 1,
                    "unit": "个",
                    "due": f"{self.today.year + 2}-12-31",
                },
                {
                    "description": f"联合开展{specialty}推介活动",
                    "value": 4,
                    "unit": "次",
                    "due": f"{self.today.year}-12-31",
                },
            ]
            if goals
            else []
        )
        villages = [hub, *members]
        spans = len({self.places[v][0][: Level.COUNTY * PATH_STEP] for v in villages}) > 1
        clock = self.at(rng, founded, 9 * 60, 17 * 60)
        events = [
            (
                AllianceAction.FORM,
                "",
                AllianceStatus.FORMING,
                None,
                admin,
                "、".join(self.places[v][1] for v in villages[:10]) + ("……" if len(villages) > 10 else ""),
                clock,
            )
        ]
        members_rows = [[v, v == hub, founded, None, True] for v in villages]
        dissolved_on = None
        if status != AllianceStatus.FORMING:
            clock = (
                self.capped(clock + dt.timedelta(days=rng.randint(3, 20), hours=rng.randint(1, 5))) or clock
            )
            events.append(
                (
                    AllianceAction.ACTIVATE,
                    AllianceStatus.FORMING,
                    AllianceStatus.ACTIVE,
                    None,
                    admin,
                    "",
                    clock,
                )
            )
        # A village joins later now and then; another leaves.
        if status == AllianceStatus.ACTIVE and rng.random() < 0.12:
            moment = self.capped(clock + dt.timedelta(days=rng.randint(20, 120)))
            leaving = members_rows[-1]
            if moment and len(members_rows) > 3:
                leaving[3], leaving[4] = moment.date(), False
                events.append(
                    (AllianceAction.LEAVE, "", "", leaving[0], admin, "该村并入邻村，调整联盟成员", moment)
                )
        active_until = self.yesterday
        if status == AllianceStatus.DISSOLVED:
            moment = self.capped(clock + dt.timedelta(days=rng.randint(60, 200)))
            if moment is None:
                status = AllianceStatus.ACTIVE
            else:
                dissolved_on = moment.date()
                active_until = dissolved_on - dt.timedelta(days=1)
                for row in members_rows:
                    if row[4]:
                        row[3], row[4] = dissolved_on, False
                events.append(
                    (
                        AllianceAction.DISSOLVE,
                        AllianceStatus.ACTIVE,
                        AllianceStatus.DISSOLVED,
                        None,
                        admin,
                        "联盟主要任务已完成，成员村并入新的片区联盟",
                        moment,
                    )
                )
        # Joint activities of the running alliance.
        if status != AllianceStatus.FORMING:
            day = clock.date() + dt.timedelta(days=rng.randint(7, 30))
            recorder = self.user_of(lead.person) or admin
            while day <= active_until:
                current = [row[0] for row in members_rows if row[3] is None or row[3] > day]
                title, summary = rng.choice(JOINT_ACTIVITIES)
                title, summary = (
                    title.format(s=specialty, hub=hub_name),
                    summary.format(s=specialty, hub=hub_name),
                )
                jpk = self.ids(JointActivity)
                chosen = sorted(rng.sample(current, rng.randint(min(2, len(current)), len(current))))
                recorded = self.capped(
                    self.at(rng, day + dt.timedelta(days=rng.randint(0, 3)), 16 * 60, 22 * 60)
                )
                if recorded is None:
                    break
                self.joint_rows.append((jpk, pk, day, title, summary, recorder, recorded))
                self.joint_villages.extend((jpk, v) for v in chosen)
                events.append((AllianceAction.ACTIVITY, "", "", None, recorder, title, recorded))
                day += dt.timedelta(days=rng.randint(25, 60))
        events.sort(key=lambda e: e[6])
        self.alliance_rows.append(
            (
                pk,
                f"{hub_name}党建联盟",
                theme,
                region,
                hub,
                lead.pk,
                goals,
                targets,
                founded,
                status,
                spans,
                dissolved_on,
                admin,
                events[0][6],
                events[-1][6],
            )
        )
        self.member_rows.extend((pk, *row) for row in members_rows)
        self.alliance_events.extend((pk, *e) for e in events)

    def write_alliances(self) -> None:
        _insert(
            Alliance,
            [
                "id",
                "name",
                "theme",
                "region_id",
                "hub_id",
                "lead_mentor_id",
                "goals",
                "targets",
                "founded_on",
                "status",
                "spans_counties",
                "dissolved_on",
                "created_by_id",
                "created_at",
                "updated_at",
            ],
            self.alliance_rows,
        )
        _insert(
            AllianceMember,
            ["alliance_id", "village_id", "is_hub", "joined_on", "left_on", "current"],
            self.member_rows,
        )
        _insert(
            AllianceEvent,
            ["alliance_id", "action", "from_status", "to_status", "village_id", "actor_id", "reason", "at"],
            self.alliance_events,
        )
        _insert(
            JointActivity,
            ["id", "alliance_id", "occurred_on", "title", "summary", "recorded_by_id", "created_at"],
            self.joint_rows,
        )
        _insert(JointActivity.villages.through, ["jointactivity_id", "region_id"], self.joint_villages)

    # ------------------------------------------------------------------ the whole
    def timed(self, name: str, *steps) -> None:
        start = time.perf_counter()
        for step in steps:
            step()
        self.seconds[name] = time.perf_counter() - start

    def run(self) -> tuple[dict[str, int], dict[str, float]]:
        with _large_page_cache():
            self.timed("practice.load", self.load)
            self.timed("ledger", self.plan_ledger, self.write_ledger)
            self.timed("plans", self.plan_plans, self.write_plans)
            self.timed("assignments", self.plan_assignments, self.write_assignments_rows)
            self.timed("teaching", self.load_network, self.plan_teaching, self.write_teaching)
            self.timed("alliances", self.plan_alliances, self.write_alliances)
            self.ids.reset_sequences()
        self.counts["running_pairings"] = len(self.runs)
        return dict(self.counts), self.seconds


@contextmanager
def _large_page_cache():
    """SQLite keeps the indexes being filled in memory (400 MB instead of 2 MB): writing the ledger's million
    rows and their ten indexes takes a third less time. The connection's own setting comes back afterwards."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (before,) = cursor.fetchone()
        cursor.execute("PRAGMA cache_size = -400000")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


def build_practice(*, seed: int, today: dt.date) -> tuple[dict[str, int], dict[str, float]]:
    """Write the year of practice for the pairings the pool wrote; returns counts and seconds per step."""
    return PracticeBuilder(seed=seed, today=today).run()

"""The roster layouts: column headers with their synonyms, and the Chinese names of every choice value."""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from django.db import models
from django.utils import translation

from bangdai.apprentices.choices import ApprenticeCategory
from bangdai.core.choices import ContentArea
from bangdai.mentors.choices import MentorTier
from bangdai.people.choices import CadreType, Education, Gender, PoliticalStatus, Position

from .choices import RosterKind


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the header the template writes
    synonyms: tuple[str, ...] = ()
    note: str = ""  # the template's notes sheet
    example: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return (self.header, *self.synonyms)


SEQ = Column("seq", "序号", ("编号",), "可选，导入时忽略。", "1")
NAME = Column("name", "姓名", (), "新增干部必填。", "张三")
ID_NUMBER = Column(
    "id_number",
    "身份证号",
    ("身份证号码", "公民身份号码", "身份证", "公民身份证号码"),
    "必填，18位；请将该列设为文本格式，否则Excel会丢失后几位。按身份证号识别同一人：再次导入即更新。",
    "330523198503150000",
)
GENDER = Column("gender", "性别", (), "男/女；可空，按身份证号推算。", "男")
BIRTH_DATE = Column(
    "birth_date",
    "出生日期",
    ("出生年月",),
    "可空，按身份证号推算；可写 1985.3.15、1985-03-15、1985年3月15日、1985/3/15 或Excel日期。",
    "1985.3.15",
)
PHONE = Column(
    "phone", "手机", ("手机号", "手机号码", "联系电话", "联系方式"), "11位手机号，可空。", "13800000000"
)
REGION = Column(
    "region",
    "工作单位所在村",
    ("所在区域", "区划代码", "所在村", "所在村(社区)", "所在村社区", "所在乡镇(村)", "行政区划代码"),
    "新增干部必填：12位村（社区）区划代码、9位乡镇（街道）代码，或村名（如 上墅乡上墅村）。须在本人管辖范围和项目区域内。",
    "330523205201",
)
ORG_UNIT = Column("org_unit", "工作单位", ("单位", "所在单位"), "可空。", "上墅村党委")
POSITION = Column(
    "position",
    "职务",
    ("现任职务",),
    "新增干部必填，如 党组织书记、一肩挑、村两委委员、乡镇机关干部。",
    "党组织书记",
)
POLITICAL_STATUS = Column(
    "political_status",
    "政治面貌",
    (),
    "新增干部必填：中共党员、中共预备党员、共青团员、民主党派、群众。",
    "中共党员",
)
EDUCATION = Column(
    "education",
    "学历",
    ("文化程度", "最高学历"),
    "新增干部必填：研究生、大学本科、大学专科、中专/高中、初中及以下。",
    "大学本科",
)
CADRE_TYPE = Column(
    "cadre_type",
    "干部类别",
    ("人员类别", "干部类型"),
    "新增干部必填：乡镇公务员、乡镇事业编、村干部、社区工作者、选调生、入乡青年、下派干部。",
    "村干部",
)
ENTRY_DATE = Column(
    "entry_date",
    "参加工作时间",
    ("参加工作日期", "工作时间", "任职时间"),
    "新增干部必填，日期格式同出生日期。",
    "2008.7.1",
)
ETHNICITY = Column("ethnicity", "民族", (), "可空，默认汉族。", "汉族")

TIER = Column(
    "tier", "导师层级", ("层级", "导师级别"), "新增导师必填：省级、市级、县级、乡镇级、村级。", "县级"
)
TITLES = Column(
    "titles",
    "荣誉称号",
    ("荣誉", "所获荣誉"),
    "可空，多个用顿号分隔：兴村名师、治社名师、担当作为好支书、千名好支书（第一批）、老乡镇、全国劳模、两优一先。",
    "兴村名师、千名好支书（第二批）",
)
EXPERTISE = Column(
    "expertise",
    "擅长领域",
    ("擅长方向", "帮带领域"),
    "可空，多个用顿号分隔：思想情怀、群众工作、基层党建、富民强村、基层治理。",
    "富民强村、基层党建",
)
SPECIALTIES = Column("specialties", "特长", ("专长",), "可空，多个用顿号分隔。", "民宿经营、矛盾调解")
CAPACITY = Column("capacity", "帮带容量", ("可带徒弟数", "容量"), "可空，默认按项目规则与导师层级。", "2")

CATEGORIES = Column(
    "categories",
    "徒弟类别",
    ("类别", "帮带对象类别"),
    "新增徒弟必填，多个用顿号分隔：新任乡镇干部、村干部、新任村书记、薄弱村书记、选调生、入乡青年、后备干部、下派干部、第一书记。",
    "新任村书记",
)
THREE_GATES = Column("three_gates", "三门干部", ("是否三门干部",), "是/否，可空（否）。", "否")
NEEDS = Column("needs", "帮带需求", ("需求",), "可空，多个用顿号分隔，写法同擅长领域。", "富民强村")

MENTOR_ID = Column(
    "mentor_id", "导师身份证号", ("导师身份证号码", "导师公民身份号码"), "必填：本项目已聘任的导师。", ""
)
MENTOR_NAME = Column("mentor_name", "导师姓名", (), "可空；填写则须与身份证号一致。", "")
APPRENTICE_ID = Column(
    "apprentice_id", "徒弟身份证号", ("徒弟身份证号码", "徒弟公民身份号码"), "必填：本项目已登记的徒弟。", ""
)
APPRENTICE_NAME = Column("apprentice_name", "徒弟姓名", (), "可空；填写则须与身份证号一致。", "")
NOTE = Column("note", "备注", (), "可空。", "")

PERSON_COLUMNS = [
    NAME,
    ID_NUMBER,
    GENDER,
    BIRTH_DATE,
    PHONE,
    REGION,
    ORG_UNIT,
    POSITION,
    POLITICAL_STATUS,
    EDUCATION,
    CADRE_TYPE,
    ENTRY_DATE,
    ETHNICITY,
]


@dataclass(frozen=True)
class Layout:
    kind: str
    title: str  # the template's title row
    columns: tuple[Column, ...]
    required: tuple[str, ...]  # headers that must be present

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


LAYOUTS = {
    RosterKind.MENTORS: Layout(
        RosterKind.MENTORS,
        "导师名册",
        (SEQ, *PERSON_COLUMNS, TIER, TITLES, EXPERTISE, SPECIALTIES, CAPACITY),
        ("name", "id_number"),
    ),
    RosterKind.APPRENTICES: Layout(
        RosterKind.APPRENTICES,
        "徒弟名册",
        (SEQ, *PERSON_COLUMNS, CATEGORIES, THREE_GATES, NEEDS, NOTE),
        ("name", "id_number"),
    ),
    RosterKind.PAIRINGS: Layout(
        RosterKind.PAIRINGS,
        "结对名册",
        (SEQ, MENTOR_NAME, MENTOR_ID, APPRENTICE_NAME, APPRENTICE_ID, NOTE),
        ("mentor_id", "apprentice_id"),
    ),
}

_NOTE_RE = re.compile(r"[(（\[【].*?[)）\]】]")


def normalise_header(value) -> str:
    """Full-width to half-width, no spaces or line breaks, no required-field stars or bracketed hints."""
    text = unicodedata.normalize("NFKC", str(value or ""))
    text = re.sub(r"\s+", "", text).strip("*※")
    return text


def header_key(layout: Layout, value) -> str | None:
    """The column key a header names in this layout, or None."""
    text = normalise_header(value)
    if not text:
        return None
    for candidate in (text, _NOTE_RE.sub("", text)):
        for column in layout.columns:
            if candidate in column.names:
                return column.key
    return None


# Chinese names beyond the ones in the choice labels, as departments write them.
EXTRA_NAMES: dict[type[models.TextChoices], dict[str, str]] = {
    Gender: {"男": Gender.MALE, "女": Gender.FEMALE, "男性": Gender.MALE, "女性": Gender.FEMALE},
    Position: {
        "村党组织书记": Position.PARTY_SECRETARY,
        "党支部书记": Position.PARTY_SECRETARY,
        "村党支部书记": Position.PARTY_SECRETARY,
        "党委书记": Position.PARTY_SECRETARY,
        "村党委书记": Position.PARTY_SECRETARY,
        "村书记": Position.PARTY_SECRETARY,
        "书记": Position.PARTY_SECRETARY,
        "社区书记": Position.PARTY_SECRETARY,
        "书记兼主任": Position.ONE_SHOULDER,
        "书记、主任": Position.ONE_SHOULDER,
        "村书记兼村委会主任": Position.ONE_SHOULDER,
        "村党组织书记兼村委会主任": Position.ONE_SHOULDER,
        "主任": Position.COMMITTEE_DIRECTOR,
        "村主任": Position.COMMITTEE_DIRECTOR,
        "村委会主任": Position.COMMITTEE_DIRECTOR,
        "两委委员": Position.COMMITTEE_MEMBER,
        "村两委成员": Position.COMMITTEE_MEMBER,
        "委员": Position.COMMITTEE_MEMBER,
        "后备干部": Position.RESERVE,
        "乡镇领导": Position.TOWNSHIP_LEADER,
        "乡镇班子成员": Position.TOWNSHIP_LEADER,
        "机关干部": Position.TOWNSHIP_STAFF,
        "乡镇干部": Position.TOWNSHIP_STAFF,
        "社区工作者": Position.COMMUNITY_STAFF,
        "其它": Position.OTHER,
    },
    PoliticalStatus: {
        "党员": PoliticalStatus.PARTY_MEMBER,
        "中共党员": PoliticalStatus.PARTY_MEMBER,
        "预备党员": PoliticalStatus.PROBATIONARY,
        "团员": PoliticalStatus.LEAGUE_MEMBER,
        "共青团员": PoliticalStatus.LEAGUE_MEMBER,
        "群众": PoliticalStatus.MASSES,
    },
    Education: {
        "研究生": Education.POSTGRADUATE,
        "硕士": Education.POSTGRADUATE,
        "硕士研究生": Education.POSTGRADUATE,
        "博士": Education.POSTGRADUATE,
        "博士研究生": Education.POSTGRADUATE,
        "本科": Education.BACHELOR,
        "大学": Education.BACHELOR,
        "大专": Education.COLLEGE,
        "专科": Education.COLLEGE,
        "中专": Education.SECONDARY,
        "高中": Education.SECONDARY,
        "职高": Education.SECONDARY,
        "初中": Education.JUNIOR,
        "小学": Education.JUNIOR,
    },
    CadreType: {"事业编": CadreType.TOWNSHIP_PUBLIC_INSTITUTION, "公务员": CadreType.TOWNSHIP_CIVIL_SERVANT},
    ContentArea: {
        "思想情怀": ContentArea.IDEALS_ROOTING,
        "群众工作": ContentArea.MASS_WORK_SERVICE,
        "基层党建": ContentArea.PARTY_BUILDING,
        "党建": ContentArea.PARTY_BUILDING,
        "富民强村": ContentArea.COMMON_PROSPERITY,
        "共同富裕": ContentArea.COMMON_PROSPERITY,
        "基层治理": ContentArea.GOVERNANCE_HARMONY,
        "治理": ContentArea.GOVERNANCE_HARMONY,
    },
    MentorTier: {"省": MentorTier.PROVINCIAL, "市": MentorTier.MUNICIPAL, "县": MentorTier.COUNTY},
    ApprenticeCategory: {"后备": ApprenticeCategory.RESERVE_CADRE},
}

_PAREN_RE = re.compile(r"\(([^()]+)\)\s*$")


@lru_cache(maxsize=32)
def vocabulary(choices: type[models.TextChoices]) -> dict[str, str]:
    """Every name a value of ``choices`` goes by: its Chinese label, its parts, the extra names and the value."""
    names: dict[str, str] = {}
    for value, label in choices.choices:
        names[value] = value
        for language in (None, "zh-hans"):
            with translation.override(language):
                text = unicodedata.normalize("NFKC", str(label))
            names[text] = value
            found = _PAREN_RE.search(text)
            chinese = found.group(1) if found else text
            for part in [chinese, *chinese.split("/")]:
                names[part.strip()] = value
    names.update(EXTRA_NAMES.get(choices, {}))
    return {re.sub(r"\s+", "", k).lower(): v for k, v in names.items() if k}


def lookup(choices: type[models.TextChoices], text: str) -> str | None:
    """The value of ``choices`` that ``text`` names, or None; ``带``-prefixed content areas and 导师/级 suffixes too."""
    vocab = vocabulary(choices)
    key = re.sub(r"\s+", "", text).lower()
    for candidate in (key, key.removesuffix("导师"), key.removeprefix("带")):
        if candidate in vocab:
            return vocab[candidate]
    return None

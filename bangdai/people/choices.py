"""Choice sets of cadre records."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class PoliticalStatus(models.TextChoices):
    PARTY_MEMBER = "party_member", _("CPC member (中共党员)")
    PROBATIONARY = "probationary", _("Probationary CPC member (中共预备党员)")
    LEAGUE_MEMBER = "league_member", _("CYL member (共青团员)")
    DEMOCRATIC_PARTY = "democratic_party", _("Democratic party member (民主党派)")
    MASSES = "masses", _("No party affiliation (群众)")


class Education(models.TextChoices):
    POSTGRADUATE = "postgraduate", _("Postgraduate (研究生)")
    BACHELOR = "bachelor", _("Bachelor (大学本科)")
    COLLEGE = "college", _("College (大学专科)")
    SECONDARY = "secondary", _("Secondary (中专/高中)")
    JUNIOR = "junior", _("Junior school or below (初中及以下)")


class Rank(models.TextChoices):
    CLERK = "clerk", _("Clerk (科员)")
    DEPUTY_SECTION = "deputy_section", _("Deputy section (副科级)")
    SECTION = "section", _("Section (正科级)")
    DEPUTY_DIVISION = "deputy_division", _("Deputy division (副处级)")
    DIVISION = "division", _("Division (正处级)")


class CadreType(models.TextChoices):
    TOWNSHIP_CIVIL_SERVANT = "township_civil_servant", _("Township civil servant (乡镇公务员)")
    TOWNSHIP_PUBLIC_INSTITUTION = "township_institution", _("Township public institution (乡镇事业编)")
    VILLAGE_CADRE = "village_cadre", _("Village cadre (村干部)")
    COMMUNITY_WORKER = "community_worker", _("Community worker (社区工作者)")
    XUANDIAOSHENG = "xuandiaosheng", _("Selected graduate (选调生)")
    RUXIANG_YOUTH = "ruxiang_youth", _("Youth moving to the countryside (入乡青年)")
    SECONDED = "seconded", _("Seconded cadre (下派干部)")


class Position(models.TextChoices):
    PARTY_SECRETARY = "party_secretary", _("Party branch secretary (党组织书记)")
    ONE_SHOULDER = "one_shoulder", _("Secretary and committee director (一肩挑)")
    COMMITTEE_DIRECTOR = "committee_director", _("Villagers' committee director (村委会主任)")
    COMMITTEE_MEMBER = "committee_member", _("Two-committee member (村两委委员)")
    RESERVE = "reserve", _("Reserve cadre (村后备干部)")
    FIRST_SECRETARY = "first_secretary", _("First secretary (第一书记)")
    TOWNSHIP_LEADER = "township_leader", _("Township leader (乡镇领导班子成员)")
    TOWNSHIP_STAFF = "township_staff", _("Township staff (乡镇机关干部)")
    COMMUNITY_STAFF = "community_staff", _("Community staff (社区工作人员)")
    OTHER = "other", _("Other (其他)")


class HistoryAction(models.TextChoices):
    CREATED = "created", _("Created")
    UPDATED = "updated", _("Updated")
    DELETED = "deleted", _("Deleted")


class ProtectedField(models.TextChoices):
    ID_NUMBER = "id_number", _("ID number")
    PHONE = "phone", _("Mobile phone")

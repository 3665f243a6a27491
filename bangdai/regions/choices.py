"""Choice sets of the jurisdiction tree."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.IntegerChoices):
    """Administrative level; equal to the node's depth in the tree."""

    PROVINCE = 1, _("Province")
    CITY = 2, _("City")
    COUNTY = 3, _("County")
    TOWNSHIP = 4, _("Township")
    VILLAGE = 5, _("Village")


class Kind(models.TextChoices):
    """Kind of unit, as named in the official lists (GB/T 2260, NBS)."""

    PROVINCE = "province", _("Province (省)")
    PREFECTURE_CITY = "prefecture_city", _("Prefecture-level city (地级市)")
    DISTRICT = "district", _("District (市辖区)")
    COUNTY_CITY = "county_city", _("County-level city (县级市)")
    COUNTY = "county", _("County (县)")
    AUTONOMOUS_COUNTY = "autonomous_county", _("Autonomous county (自治县)")
    SUBDISTRICT = "subdistrict", _("Subdistrict (街道)")
    TOWN = "town", _("Town (镇)")
    TOWNSHIP = "township", _("Township (乡)")
    ETHNIC_TOWNSHIP = "ethnic_township", _("Ethnic township (民族乡)")
    VILLAGE = "village", _("Village (村)")
    COMMUNITY = "community", _("Community (社区)")
    FUNCTIONAL_ZONE = "functional_zone", _("Functional zone (开发区)")


# The Chinese kind names used by the shipped data and by CSV imports.
KIND_BY_CHINESE = {
    "省": Kind.PROVINCE,
    "地级市": Kind.PREFECTURE_CITY,
    "市辖区": Kind.DISTRICT,
    "县级市": Kind.COUNTY_CITY,
    "县": Kind.COUNTY,
    "自治县": Kind.AUTONOMOUS_COUNTY,
    "街道": Kind.SUBDISTRICT,
    "镇": Kind.TOWN,
    "乡": Kind.TOWNSHIP,
    "民族乡": Kind.ETHNIC_TOWNSHIP,
    "村": Kind.VILLAGE,
    "社区": Kind.COMMUNITY,
    "functional_zone": Kind.FUNCTIONAL_ZONE,
}


class CRS(models.TextChoices):
    WGS84 = "WGS84", "WGS-84"
    GCJ02 = "GCJ02", "GCJ-02"


class UrbanRuralClass(models.TextChoices):
    """NBS urban-rural classification code (城乡分类代码)."""

    CITY_CENTRE = "111", _("111 city centre")
    CITY_FRINGE = "112", _("112 city fringe")
    TOWN_CENTRE = "121", _("121 town centre")
    TOWN_FRINGE = "122", _("122 town fringe")
    SPECIAL_AREA = "123", _("123 special area")
    TOWNSHIP_CENTRE = "210", _("210 township centre village")
    VILLAGE = "220", _("220 village")

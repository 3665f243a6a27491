"""The jurisdiction tree 省 → 市 → 县 → 乡镇 → 村/社区 (行政区划)."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from .choices import CRS, Kind, Level, UrbanRuralClass

PATH_STEP = 5


def subtree_bounds(path: str) -> tuple[str, str]:
    """Half-open range [low, high) of materialised paths in the subtree rooted at ``path``.

    Paths are digit strings, so the range works as an index range scan on SQLite and PostgreSQL alike
    (a LIKE 'x%' prefix does not use the index on either by default).
    """
    return path, str(int(path) + 1).zfill(len(path))


def subtree_q(path: str, field: str = "path") -> Q:
    low, high = subtree_bounds(path)
    return Q(**{f"{field}__gte": low, f"{field}__lt": high})


class RegionQuerySet(MP_NodeQuerySet):
    def current(self):
        return self.filter(valid_to__isnull=True)

    def in_subtree(self, path: str):
        return self.filter(subtree_q(path))

    def visible_to(self, user):
        """Regions inside any subtree the user holds a role in."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(user.scope.regions_q("path"))


class RegionManager(MP_NodeManager.from_queryset(RegionQuerySet)):
    def get_queryset(self):
        return RegionQuerySet(self.model, using=self._db).order_by("path")


class Region(MP_Node):
    """A unit of the jurisdiction tree, from the province down to villages and communities."""

    steplen = PATH_STEP
    alphabet = "0123456789"
    node_order_by: list[str] = []

    code = models.CharField(_("code"), max_length=12, db_index=True)
    name = models.CharField(_("name"), max_length=64, db_index=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    crs = models.CharField(_("coordinate system"), max_length=8, choices=CRS.choices, blank=True)
    urban_rural_class = models.CharField(
        _("urban-rural class"), max_length=3, choices=UrbanRuralClass.choices, blank=True
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True, help_text=_("Set when abolished."))
    source = models.CharField(_("source"), max_length=64, blank=True)

    objects = RegionManager()

    class Meta:
        verbose_name = _("jurisdiction (行政区划)")
        verbose_name_plural = _("jurisdictions")
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=Q(valid_to__isnull=True), name="region_code_unique_current"
            ),
        ]
        indexes = [models.Index(fields=["depth", "path"], name="region_depth_path")]

    def __str__(self) -> str:
        return self.name

    @property
    def level(self) -> Level:
        """The administrative level is the depth in the tree (province = 1 … village = 5)."""
        return Level(self.depth)

    @property
    def is_current(self) -> bool:
        return self.valid_to is None or self.valid_to > timezone.localdate()

    @property
    def subtree_range(self) -> tuple[str, str]:
        return subtree_bounds(self.path)

    def ancestor_paths(self) -> list[str]:
        return [self.path[: i * PATH_STEP] for i in range(1, self.depth)]

    def lineage(self) -> list["Region"]:
        """Ancestors from the province down, then this region (one query)."""
        paths = self.ancestor_paths()
        ancestors = list(Region.objects.filter(path__in=paths).order_by("depth")) if paths else []
        return [*ancestors, self]

    @property
    def full_name(self) -> str:
        return " › ".join(r.name for r in self.lineage())

"""Region pages: the current region's overview, any region's detail, the switcher and its search."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import TemplateView

from bangdai.core.views import ScopedMixin
from bangdai.dashboard.selectors import cached_child_counts

from .models import Region


class RegionDetailView(ScopedMixin, TemplateView):
    """A region's path, its children with counts, and its abolished children."""

    model = Region
    template_name = "regions/detail.html"

    def get_region(self):
        code = self.kwargs.get("code")
        if code is None:
            if self.request.region is None:
                raise Http404
            return self.request.region
        visible = self.get_queryset().filter(code=code).order_by("valid_to")
        region = visible.filter(valid_to__isnull=True).first() or visible.first()
        if region is None:
            raise Http404
        return region

    def get_context_data(self, **kwargs):
        region = self.get_region()
        total, rows = cached_child_counts(region, self.request.user)
        abolished = self.get_queryset().filter(
            path__startswith=region.path, depth=region.depth + 1, valid_to__isnull=False
        )
        return super().get_context_data(
            region=region,
            lineage=region.lineage(),
            total=total,
            rows=rows,
            direct_cadres=total.cadres - sum(r.cadres for r in rows),
            abolished=abolished,
            **kwargs,
        )


@login_required
@require_POST
def switch_region(request):
    """Make a visible region the current one."""
    region = get_object_or_404(
        Region.objects.visible_to(request.user), code=request.POST.get("code"), valid_to__isnull=True
    )
    request.session["region_id"] = region.pk
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target)


@login_required
@require_GET
def lookup(request):
    """Search visible current regions by name or code, for the switcher and region fields (tom-select)."""
    term = request.GET.get("q", "").strip()
    qs = Region.objects.visible_to(request.user).current()
    if term.isdigit():
        qs = qs.filter(code__startswith=term)
    elif term:
        qs = qs.filter(name__contains=term)
    else:
        qs = qs.filter(depth__lte=3)
    max_depth = request.GET.get("max_depth", "")
    if max_depth.isdigit():
        qs = qs.filter(depth__lte=int(max_depth))
    regions = list(qs.order_by("depth", "path")[:30])
    parents = {
        r.path: r for r in Region.objects.filter(path__in={p.path[:-5] for p in regions if p.depth > 1})
    }
    results = []
    for r in regions:
        parent = parents.get(r.path[:-5])
        label = f"{parent.name} › {r.name}" if parent else r.name
        results.append({"value": r.code, "text": label, "code": r.code, "level": r.depth})
    return JsonResponse({"results": results})

"""The overview: counts per child region of the current region, as a table and a chart."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from .selectors import cached_child_counts


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "dashboard/home.html"

    def get_context_data(self, **kwargs):
        region = self.request.region
        context = super().get_context_data(region=region, **kwargs)
        if region is None:
            return context
        total, rows = cached_child_counts(region, self.request.user)
        chart = {
            "labels": [r.region.name for r in rows],
            "series": {
                "villages": [r.villages for r in rows],
                "communities": [r.communities for r in rows],
                "cadres": [r.cadres for r in rows],
            },
        }
        context.update(
            total=total, rows=rows, chart=chart, direct_cadres=total.cadres - sum(r.cadres for r in rows)
        )
        return context

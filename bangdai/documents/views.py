"""PDF documents: a pairing's 拜师帖, a mentor's 聘书 and a programme's certificates in one file."""

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views import View

from bangdai.core.views import ScopedMixin
from bangdai.jobs import services as job_services
from bangdai.jobs.choices import JobKind
from bangdai.mentors.models import Mentor
from bangdai.pairings.models import Pairing
from bangdai.programmes.models import Programme

from . import selectors
from .rendering import pdf_response
from .tasks import render_programme_certificates

# Up to this many certificates are rendered while the browser waits (a few seconds); more become a job.
INLINE_CERTIFICATES = 100


class PledgeLetterView(ScopedMixin, View):
    """The signed 拜师帖 of a pairing; a pairing without a signed pledge is a 404."""

    model = Pairing

    def base_queryset(self):
        return Pairing.objects.filter(status__in=selectors.SIGNED_STATES, pledge_signed_on__isnull=False)

    def get(self, request, pk):
        pairing = get_object_or_404(
            self.get_queryset().select_related("programme__region", "apprentice__person__region"), pk=pk
        )
        letter = selectors.pledge_letter(pairing)
        filename = f"拜师帖-{letter.apprentice.name}-{pairing.pk}.pdf"
        return pdf_response("documents/pledge.html", {"letter": letter}, filename)


class CertificateView(ScopedMixin, View):
    """One mentor's 聘书; a mentor without a certificate number is a 404."""

    model = Mentor

    def base_queryset(self):
        return Mentor.objects.filter(certificate_no__isnull=False)

    def get(self, request, pk):
        mentor = get_object_or_404(
            self.get_queryset().select_related("person__region", "programme__region"), pk=pk
        )
        filename = f"聘书-{mentor.person.name}-{mentor.certificate_no}.pdf"
        return pdf_response(
            "documents/certificates.html", {"certificates": selectors.certificates([mentor])}, filename
        )


class ProgrammeCertificatesView(ScopedMixin, View):
    """Every 聘书 of a programme the user may see, one page each, in a single PDF to print in one go."""

    model = Programme

    def get(self, request, pk):
        programme = get_object_or_404(self.get_queryset(), pk=pk)
        queryset = selectors.programme_certificates(request.user, programme)
        count = queryset.count()
        if not count:
            raise Http404(_("No appointed mentor of this programme has a certificate you may print."))
        if count > INLINE_CERTIFICATES:
            # About 30 ms of rendering per page: a large batch goes to a task worker and the job page.
            job = job_services.create_job(
                kind=JobKind.CERTIFICATES,
                created_by=request.user,
                region=programme.region,
                title=_("Certificates of %(name)s") % {"name": programme.name},
                params={"programme": programme.pk},
            )
            job_services.enqueue(job, render_programme_certificates)
            return redirect("jobs:detail", pk=job.pk)
        mentors = list(queryset)
        filename = f"聘书-{programme.name}.pdf"
        return pdf_response(
            "documents/certificates.html", {"certificates": selectors.certificates(mentors)}, filename
        )

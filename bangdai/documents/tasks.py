"""A large programme's certificates rendered by a task worker, so no web request waits a minute for a PDF."""

import io

from django.tasks import task
from django.utils.translation import gettext as _

from bangdai.jobs import services as job_services
from bangdai.jobs.models import Job
from bangdai.programmes.models import Programme

from . import selectors
from .rendering import render_html, write_pdf


@task()
def render_programme_certificates(job_id: int) -> str:
    """Render every certificate of the programme the requester may see into one PDF, once."""
    return job_services.run(job_id, _run)


def _run(job: Job) -> None:
    programme = Programme.objects.get(pk=job.params["programme"])
    mentors = list(selectors.programme_certificates(job.created_by, programme))
    job_services.set_progress(job, 0, len(mentors), "render")
    html = render_html("documents/certificates.html", {"certificates": selectors.certificates(mentors)})
    buffer = io.BytesIO()
    write_pdf(html, buffer)
    job_services.set_progress(job, len(mentors), len(mentors), "done")
    job_services.finish(
        job,
        succeeded=True,
        result=(f"certificates-{programme.pk}.pdf", buffer.getvalue()),
        message=_("%(count)d certificates in one document.") % {"count": len(mentors)},
    )

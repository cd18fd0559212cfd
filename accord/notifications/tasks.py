from django_tasks import task

from accord.notifications import digest


@task()
def send_digests() -> int:
    """The daily digest (enqueued once a day by `accord scheduler`): one mail per person."""
    return digest.send_digests()

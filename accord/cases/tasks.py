from django_tasks import task

from accord.cases import actions


@task()
def exit_expired_embargoes() -> list[int]:
    """Embargoes end by themselves at their end instant (enqueued by `accord scheduler`)."""
    return actions.exit_expired_embargoes()

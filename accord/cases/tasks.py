from django_tasks import task

from accord.cases import actions


@task()
def exit_expired_embargoes() -> list[int]:
    """Embargoes end by themselves at their end instant (enqueued by `accord scheduler`)."""
    return actions.exit_expired_embargoes()


@task()
def send_reminders() -> dict[str, int]:
    """The automatic reminders to vendors that are due (enqueued by `accord scheduler`)."""
    return actions.send_due_reminders()

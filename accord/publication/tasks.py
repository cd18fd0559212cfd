from django_tasks import task

from accord.publication import actions


@task()
def publish_due() -> list[int]:
    """Scheduled notes whose instant has come (enqueued by `accord scheduler`)."""
    return actions.publish_due()


@task()
def share_drafts() -> list[int]:
    """Drafts due to be shared with the vendors and the reporter (enqueued by `accord scheduler`)."""
    return actions.share_due_drafts()

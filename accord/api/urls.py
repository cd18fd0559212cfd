from django.conf import settings
from ninja import NinjaAPI

from accord.api import errors
from accord.api.auth import UNDECLARED
from accord.api.routes import (
    case_mail,
    cases,
    mail,
    me,
    messages,
    note_admin,
    notes,
    notifications,
    organizations,
    participants,
    reminders,
    reports,
    tokens,
    vendors,
)

api = NinjaAPI(
    title=f"{settings.INSTANCE_NAME} API",
    version="1",
    description=(
        "Coordinated vulnerability disclosure. Lists answer {items, next}; errors answer "
        "{detail, errors}; instants are RFC 3339 in UTC."
    ),
    urls_namespace="api",
    auth=UNDECLARED,
    docs_url="/docs",
    openapi_url="/openapi.json",
)
errors.install(api)
api.add_router("", me.router)
api.add_router("", tokens.router)
api.add_router("", organizations.router)
api.add_router("", reports.router)
api.add_router("", cases.router)
api.add_router("", participants.router)
api.add_router("", reminders.router)
api.add_router("", vendors.router)
api.add_router("", messages.router)
api.add_router("", case_mail.router)
api.add_router("", notifications.router)
api.add_router("", mail.router)
api.add_router("", notes.router)
api.add_router("", note_admin.router)

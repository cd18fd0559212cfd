from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "accord.archive"
    label = "archive"
    verbose_name = "CERT/CC archive import"
    default_auto_field = "django.db.models.BigAutoField"

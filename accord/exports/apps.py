from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "accord.exports"
    label = "exports"
    verbose_name = "Exports and the CSAF provider"
    default_auto_field = "django.db.models.BigAutoField"

from django.apps import AppConfig


class PublicationConfig(AppConfig):
    name = "accord.publication"
    label = "publication"
    verbose_name = "Publication"
    default_auto_field = "django.db.models.BigAutoField"

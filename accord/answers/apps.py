from django.apps import AppConfig


class AnswersConfig(AppConfig):
    name = "accord.answers"
    label = "answers"
    verbose_name = "vendor answers"

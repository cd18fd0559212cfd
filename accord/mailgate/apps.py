from django.apps import AppConfig


class MailgateConfig(AppConfig):
    name = "accord.mailgate"
    label = "mailgate"

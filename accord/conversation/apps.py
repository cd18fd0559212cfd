from django.apps import AppConfig


class ConversationConfig(AppConfig):
    name = "accord.conversation"
    label = "conversation"
    verbose_name = "conversation"

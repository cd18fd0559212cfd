"""The CSAF provider directory under /.well-known/csaf/ (CSAF 2.0 §7.1)."""

from django.urls import path  # noqa: F401

app_name = "exports"

urlpatterns: list = []

from django.apps import AppConfig


class VendorsConfig(AppConfig):
    name = "accord.vendors"
    label = "vendors"
    verbose_name = "Vendor directory"

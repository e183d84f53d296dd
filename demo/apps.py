from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for a development instance; depends on every other app, nothing depends on it."""

    name = "demo"
    verbose_name = "Demo data"

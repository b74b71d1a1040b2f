from django.apps import AppConfig


class BetaConfig(AppConfig):
    name = "tests.testmodules.beta"
    label = "beta"

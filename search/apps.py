from django.apps import AppConfig


class SearchConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "search"

    def ready(self) -> None:
        # Whoosh is patched here, once, not as a side effect of importing an engine module.
        from search.engine.whoosh import patches

        patches.install()

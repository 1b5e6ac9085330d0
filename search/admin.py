"""Staff views of the stored letters: read-mostly, since letters change only through ingest."""

from django.contrib import admin

from search.models import Citation, Determination, Letter
from search.web.login import ThrottledAdminAuthenticationForm


class ReadOnlyInline(admin.StackedInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class DeterminationInline(ReadOnlyInline):
    model = Determination
    fields = ("ordinal", "request", "outcome", "treatment_category", "treatment_subcategory")


class CitationInline(ReadOnlyInline):
    model = Citation
    fields = ("party", "position", "source", "guideline", "sections", "pages", "flags", "raw")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Letter)
class LetterAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "decision_date", "priority", "layout", "truncated", "synthetic")
    list_filter = ("layout", "truncated", "synthetic", "priority")
    search_fields = ("public_id", "case_number")
    date_hierarchy = "decision_date"
    exclude = ("text",)
    inlines = [DeterminationInline]

    def delete_model(self, request, obj):
        self.delete_queryset(request, Letter.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        from search.indexing import remove_letters

        public_ids = list(queryset.values_list("public_id", flat=True))
        queryset.delete()
        remove_letters(public_ids)


@admin.register(Determination)
class DeterminationAdmin(ReadOnlyAdmin):
    list_display = ("letter", "ordinal", "request", "outcome", "treatment_category")
    list_filter = ("outcome", "treatment_category")
    search_fields = ("letter__public_id", "request")
    list_select_related = ("letter",)
    inlines = [CitationInline]

    def has_delete_permission(self, request, obj=None):
        # Items go with their letter; deleting one alone would leave the letter half-stored.
        return False


@admin.register(Citation)
class CitationAdmin(ReadOnlyAdmin):
    list_display = ("determination", "party", "source", "guideline")
    list_filter = ("party", "source")

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.login_form = ThrottledAdminAuthenticationForm
admin.site.site_header = "IMR precedent search: staff"

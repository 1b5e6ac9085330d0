"""Stored letters: one Letter, its Determinations (the disputed items) and their Citations.

The database is the source of truth; the Whoosh index is derived from it and can be rebuilt.
"""

from django.db import models

from search.letters import domain


class Letter(models.Model):
    # The identity users see and link to: the case number, else "t-" + a hash of the text.
    public_id = models.CharField(max_length=40, unique=True)
    case_number = models.CharField(max_length=20, null=True, blank=True, unique=True)
    text_hash = models.CharField(max_length=64, db_index=True)
    layout = models.CharField(max_length=32)
    # Indexed: every page asks whether any real letter is loaded (the synthetic-data banner).
    synthetic = models.BooleanField(default=False, db_index=True)

    date_assigned = models.DateField(null=True, blank=True)
    date_of_injury = models.DateField(null=True, blank=True)
    decision_date = models.DateField(null=True, blank=True, db_index=True)
    ur_denial_date = models.DateField(null=True, blank=True)
    priority = models.CharField(max_length=20, blank=True)
    application_received = models.DateField(null=True, blank=True)

    licensure = models.JSONField(default=list)
    specialties = models.JSONField(default=list)
    reviewer_raw = models.TextField(blank=True)

    patient_age = models.PositiveSmallIntegerField(null=True, blank=True)
    patient_sex = models.CharField(max_length=10, blank=True)
    summary = models.TextField(blank=True)
    text = models.TextField()

    truncated = models.BooleanField(default=False)
    warnings = models.JSONField(default=list)
    source_name = models.CharField(max_length=255, blank=True)

    # Set in the same transaction that stores the letter, cleared once the index has it: a
    # process that dies between the two leaves the flag up and the next run repairs the index.
    index_pending = models.BooleanField(default=True, db_index=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-decision_date", "public_id"]

    def __str__(self) -> str:
        return self.public_id

    @property
    def case_outcome(self) -> str:
        """Upheld, Overturned or Partial Overturn, as the state's search names them."""
        return domain.case_outcome(d.outcome for d in self.determinations.all())


class Determination(models.Model):
    OUTCOME_CHOICES = list(domain.OUTCOME_LABELS.items())

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="determinations")
    ordinal = models.PositiveSmallIntegerField()
    heading = models.TextField()
    request = models.TextField()
    outcome = models.CharField(max_length=12, choices=OUTCOME_CHOICES)
    original_request = models.TextField(blank=True)
    authorized = models.TextField(blank=True)
    treatment_category = models.CharField(max_length=64, blank=True)
    treatment_subcategory = models.CharField(max_length=64, blank=True)
    claims_administrator_guideline = models.TextField(blank=True)
    claims_administrator_flags = models.JSONField(default=list)
    imr_guideline = models.TextField(blank=True)
    imr_flags = models.JSONField(default=list)
    rationale = models.TextField(blank=True)
    # Read from the rationale and request when stored (search.letters.reasons, .request_size):
    # [{"reason": code, "evidence": sentence}] and {"sessions": 12, "frequency": "2/week", ...}.
    reasons = models.JSONField(default=list, blank=True)
    request_size = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["letter", "ordinal"]
        constraints = [
            models.UniqueConstraint(fields=["letter", "ordinal"], name="one_item_per_ordinal"),
        ]

    def __str__(self) -> str:
        return f"{self.letter.public_id} #{self.ordinal}"

    @property
    def reason_codes(self) -> list[str]:
        return [r["reason"] for r in self.reasons]


class Citation(models.Model):
    CLAIMS_ADMINISTRATOR = "claims_administrator"
    IMR = "imr"
    PARTY_CHOICES = [(CLAIMS_ADMINISTRATOR, "Claims administrator"), (IMR, "IMR reviewer")]

    determination = models.ForeignKey(
        Determination, on_delete=models.CASCADE, related_name="citations"
    )
    party = models.CharField(max_length=24, choices=PARTY_CHOICES)
    position = models.PositiveSmallIntegerField()
    source = models.CharField(max_length=12)
    guideline = models.CharField(max_length=120, blank=True)
    sections = models.JSONField(default=list)
    pages = models.JSONField(default=list)
    edition = models.CharField(max_length=40, blank=True)
    raw = models.TextField(blank=True)
    flags = models.JSONField(default=list)

    class Meta:
        ordering = ["determination", "party", "position"]

    def __str__(self) -> str:
        return self.label

    def as_domain(self) -> domain.Citation:
        return domain.Citation(
            source=self.source,
            guideline=self.guideline,
            sections=list(self.sections),
            pages=list(self.pages),
            edition=self.edition,
            raw=self.raw,
            flags=list(self.flags),
        )

    @property
    def label(self) -> str:
        return self.as_domain().label

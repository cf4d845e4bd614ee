"""
The consultation record and the data it is described by.

Dimensions (channel, type, business line, product category, tier, team) are rows, not
code: operators manage them in the admin and ingestion may create them on first use.
Each is addressed by a stable `code` that integrators send.
"""

from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Identifier(models.CharField):
    """
    Text that names a record in another system, compared character by character.

    Identifiers are opaque: their order is that of their code points, not of a
    language. On PostgreSQL the column takes the "C" collation, whose comparisons
    are byte comparisons, several times cheaper than a language's in the unique
    indexes every ingested record is checked against; an index on the column then
    also serves prefix searches (LIKE 'abc%'). SQLite compares text by code point
    already.
    """

    def db_parameters(self, connection: BaseDatabaseWrapper) -> dict[str, Any]:
        parameters = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            parameters["collation"] = "C"
        return parameters


class Dimension(models.Model):
    """A value that consultations are filtered and grouped by."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Channel(Dimension):
    class Medium(models.TextChoices):
        VOICE = "voice", _("Voice (one call per agent)")
        CHAT = "chat", _("Chat (several sessions per agent)")
        MESSAGE = "message", _("Asynchronous message")

    medium = models.CharField(
        _("medium"), max_length=16, choices=Medium.choices, default=Medium.CHAT
    )

    class Meta(Dimension.Meta):
        verbose_name = _("channel")
        verbose_name_plural = _("channels")


class ConsultationType(Dimension):
    class Meta(Dimension.Meta):
        verbose_name = _("consultation type")
        verbose_name_plural = _("consultation types")


class BusinessLine(Dimension):
    class Meta(Dimension.Meta):
        verbose_name = _("business line")
        verbose_name_plural = _("business lines")


class ProductCategory(Dimension):
    class Meta(Dimension.Meta):
        verbose_name = _("product category")
        verbose_name_plural = _("product categories")


class CustomerTier(Dimension):
    class Meta(Dimension.Meta):
        verbose_name = _("customer tier")
        verbose_name_plural = _("customer tiers")


class Team(Dimension):
    class Meta(Dimension.Meta):
        verbose_name = _("team")
        verbose_name_plural = _("teams")


class Skill(Dimension):
    class Kind(models.TextChoices):
        CONSULTATION_TYPE = "consultation_type", _("Consultation type")
        LANGUAGE = "language", _("Language")
        BUSINESS_LINE = "business_line", _("Business line")

    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)

    class Meta(Dimension.Meta):
        verbose_name = _("skill")
        verbose_name_plural = _("skills")


class Customer(models.Model):
    external_id = Identifier(_("external id"), max_length=128)
    tier = models.ForeignKey(
        CustomerTier,
        verbose_name=_("tier"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    country = models.CharField(
        _("country"), max_length=2, blank=True, help_text=_("ISO 3166-1 alpha-2 code.")
    )
    timezone = models.CharField(
        _("time zone"), max_length=64, blank=True, help_text=_("IANA name.")
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["external_id"]
        # A constraint rather than unique=True, which would add a second index for
        # LIKE searches that the identifier's own index serves.
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], name="customer_external_id_unique"
            )
        ]

    def __str__(self) -> str:
        return self.external_id


class Agent(models.Model):
    class Employment(models.TextChoices):
        IN_HOUSE = "in_house", _("In-house")
        OUTSOURCED = "outsourced", _("Outsourced")
        CHATBOT = "chatbot", _("Chatbot")

    external_id = Identifier(_("external id"), max_length=128)
    name = models.CharField(_("name"), max_length=200, blank=True)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.PROTECT, null=True, blank=True
    )
    employment = models.CharField(
        _("employment"),
        max_length=16,
        choices=Employment.choices,
        default=Employment.IN_HOUSE,
    )
    skills = models.ManyToManyField(Skill, verbose_name=_("skills"), blank=True)
    contract_hours_per_week = models.DecimalField(
        _("contract hours per week"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("agent")
        verbose_name_plural = _("agents")
        ordering = ["name", "external_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], name="agent_external_id_unique"
            ),
            models.CheckConstraint(
                condition=Q(contract_hours_per_week__gte=0)
                & Q(contract_hours_per_week__lte=168),
                name="agent_contract_hours_in_week",
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.external_id


class ConsultationQuerySet(models.QuerySet):
    def with_references(self) -> "ConsultationQuerySet":
        """Fetch every dimension value, customer, agent and team in the same query."""
        return self.select_related(
            *(
                field.name
                for field in self.model._meta.concrete_fields
                if field.is_relation
            )
        )


class Consultation(models.Model):
    """
    One customer session: a chat, a call, a message thread.

    (`source`, `external_id`) identifies a record across repeated deliveries. `team` is
    the handling agent's team at ingestion time, kept on the record so that statistics
    by team do not change when an agent moves later.

    References are not enforced by the database: a foreign key check is a lookup per
    row and reference, and with eight references they took more than half the time
    of a bulk insert.
    Ingestion resolves every reference to an existing row before it writes, and
    deletes go through the ORM, whose PROTECT refuses to delete a referenced row; what
    is lost is the guarantee against a raw SQL delete, or a delete racing the
    ingestion of the first records that use a brand-new value. The low-cardinality
    dimension columns have no index of their own either: statistics select by time
    first, and only deleting a dimension value (rare) would use one.
    """

    source = Identifier(_("source"), max_length=64)
    external_id = Identifier(_("external id"), max_length=128)
    started_at = models.DateTimeField(_("started at"))
    first_response_at = models.DateTimeField(
        _("first response at"), null=True, blank=True
    )
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    customer_timezone = models.CharField(
        _("customer time zone"),
        max_length=64,
        blank=True,
        help_text=_("IANA name; empty when unknown."),
    )
    channel = models.ForeignKey(
        Channel,
        verbose_name=_("channel"),
        on_delete=models.PROTECT,
        db_constraint=False,
        db_index=False,
    )
    consultation_type = models.ForeignKey(
        ConsultationType,
        verbose_name=_("consultation type"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_constraint=False,
        db_index=False,
    )
    business_line = models.ForeignKey(
        BusinessLine,
        verbose_name=_("business line"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_constraint=False,
        db_index=False,
    )
    product_category = models.ForeignKey(
        ProductCategory,
        verbose_name=_("product category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_constraint=False,
        db_index=False,
    )
    customer_tier = models.ForeignKey(
        CustomerTier,
        verbose_name=_("customer tier"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_constraint=False,
        db_index=False,
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_constraint=False,
    )
    agent = models.ForeignKey(
        Agent,
        verbose_name=_("agent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_constraint=False,
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_constraint=False,
        db_index=False,
    )
    converted = models.BooleanField(_("converted"), default=False)
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction"), null=True, blank=True, help_text=_("1 to 5.")
    )
    abandoned = models.BooleanField(
        _("abandoned"),
        default=False,
        help_text=_("The customer left before any agent replied."),
    )
    message_count = models.PositiveIntegerField(_("message count"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ConsultationQuerySet.as_manager()

    # Partitioning by month (SPEC section 14) needs `started_at` in the primary key
    # and in every unique constraint; the idempotency key would then move to a small
    # key table. Not needed below about a hundred million rows.
    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        ordering = ["-started_at"]
        permissions = [
            (
                "create_dimension_values",
                _("Can create dimension values on first use when ingesting"),
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="consultation_idempotency_key"
            ),
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True)
                | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="consultation_satisfaction_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
                name="consultation_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(first_response_at__isnull=True)
                | Q(first_response_at__gte=F("started_at")),
                name="consultation_responds_after_start",
            ),
        ]
        indexes = [
            # Aggregate refreshes and time-range reads select by start time.
            models.Index(fields=["started_at"], name="consultation_started_at"),
        ]

    def __str__(self) -> str:
        return f"{self.source}/{self.external_id}"

    @property
    def wait_seconds(self) -> float | None:
        """Return seconds from start to first response, or None without a response."""
        if self.first_response_at is None:
            return None
        return (self.first_response_at - self.started_at).total_seconds()

    @property
    def duration_seconds(self) -> float | None:
        """Return seconds from start to end, or None while the session is open."""
        if self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()

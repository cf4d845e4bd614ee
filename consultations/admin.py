from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import (
    Agent,
    BusinessLine,
    Channel,
    Consultation,
    ConsultationType,
    Customer,
    CustomerTier,
    ProductCategory,
    Skill,
    Team,
)


class DimensionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]


@admin.register(Channel)
class ChannelAdmin(DimensionAdmin):
    list_display = [*DimensionAdmin.list_display, "medium"]
    list_filter = [*DimensionAdmin.list_filter, "medium"]


@admin.register(Skill)
class SkillAdmin(DimensionAdmin):
    list_display = [*DimensionAdmin.list_display, "kind"]
    list_filter = [*DimensionAdmin.list_filter, "kind"]


for dimension in (ConsultationType, BusinessLine, ProductCategory, CustomerTier, Team):
    admin.site.register(dimension, DimensionAdmin)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["external_id", "tier", "country", "timezone"]
    list_filter = ["tier", "country"]
    search_fields = ["external_id", "country", "timezone"]


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = [
        "external_id",
        "name",
        "team",
        "employment",
        "contract_hours_per_week",
        "is_active",
    ]
    list_filter = ["employment", "team", "is_active", "skills"]
    search_fields = ["external_id", "name"]
    filter_horizontal = ["skills"]


@admin.register(Consultation)
class ConsultationAdmin(admin.ModelAdmin):
    list_display = [
        "external_id",
        "source",
        "started_at",
        "channel",
        "consultation_type",
        "business_line",
        "agent",
        "wait_seconds",
        "duration_seconds",
        "converted",
        "satisfaction",
        "abandoned",
    ]
    list_filter = [
        "channel",
        "consultation_type",
        "business_line",
        "product_category",
        "customer_tier",
        "team",
        "converted",
        "abandoned",
        "satisfaction",
        "source",
    ]
    list_select_related = [
        "channel",
        "consultation_type",
        "business_line",
        "agent",
    ]
    search_fields = ["external_id", "customer__external_id", "agent__external_id"]
    date_hierarchy = "started_at"
    raw_id_fields = ["customer", "agent"]
    readonly_fields = ["wait_seconds", "duration_seconds", "created_at", "updated_at"]
    show_full_result_count = False

    @admin.display(description=_("wait (s)"))
    def wait_seconds(self, obj: Consultation) -> float | None:
        return obj.wait_seconds

    @admin.display(description=_("duration (s)"))
    def duration_seconds(self, obj: Consultation) -> float | None:
        return obj.duration_seconds

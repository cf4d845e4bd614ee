from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .admin_filters import LocalTimeFilter, dimension_code_filter, dimension_fields
from .exports import EXCEL_MAX_ROWS, csv_chunks, excel_workbook, export_rows
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

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
    # The dashboard drills down through the local time and dimension code filters.
    list_filter = [
        LocalTimeFilter,
        *(dimension_code_filter(name) for name in dimension_fields()),
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
    change_list_template = "admin/consultations/consultation/change_list.html"
    actions = ["export_selected_csv", "export_selected_excel"]

    @admin.display(description=_("wait (s)"))
    def wait_seconds(self, obj: Consultation) -> float | None:
        return obj.wait_seconds

    @admin.display(description=_("duration (s)"))
    def duration_seconds(self, obj: Consultation) -> float | None:
        return obj.duration_seconds

    def get_urls(self) -> list[URLPattern]:
        export = self.admin_site.admin_view(self.export_view)
        return [
            path(
                "export/<str:file_format>/",
                export,
                name="consultations_consultation_export",
            ),
            *super().get_urls(),
        ]

    def export_view(self, request: HttpRequest, file_format: str) -> HttpResponse:
        """Export every consultation the change list shows with the same filters."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if file_format not in ("csv", "xlsx"):
            raise Http404(gettext("Unknown export format."))
        queryset = self.get_changelist_instance(request).get_queryset(request)
        return _export_response(request, queryset, file_format)

    @admin.action(
        description=_("Export selected consultations as CSV"),
        permissions=["view"],
    )
    def export_selected_csv(
        self, request: HttpRequest, queryset: QuerySet
    ) -> HttpResponse:
        return _export_response(request, queryset, "csv")

    @admin.action(
        description=_("Export selected consultations as Excel"),
        permissions=["view"],
    )
    def export_selected_excel(
        self, request: HttpRequest, queryset: QuerySet
    ) -> HttpResponse:
        return _export_response(request, queryset, "xlsx")


def _export_response(
    request: HttpRequest, queryset: QuerySet, file_format: str
) -> HttpResponse:
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    filename = f"consultations-{stamp}.{file_format}"
    if file_format == "csv":
        response = StreamingHttpResponse(
            csv_chunks(export_rows(queryset.order_by("started_at", "pk"))),
            content_type="text/csv; charset=utf-8",
        )
    else:
        if queryset.count() > EXCEL_MAX_ROWS:
            messages.error(
                request,
                gettext(
                    "An Excel sheet holds at most %(limit)d rows; narrow the "
                    "filters or export CSV."
                )
                % {"limit": EXCEL_MAX_ROWS},
            )
            changelist = reverse("admin:consultations_consultation_changelist")
            return HttpResponseRedirect(f"{changelist}?{request.GET.urlencode()}")
        response = HttpResponse(
            excel_workbook(export_rows(queryset.order_by("started_at", "pk"))),
            content_type=XLSX_CONTENT_TYPE,
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

from rest_framework.routers import DefaultRouter

from consultations.api.views import ConsultationViewSet, dimension_viewset
from consultations.models import (
    BusinessLine,
    Channel,
    ConsultationType,
    CustomerTier,
    ProductCategory,
    Team,
)

router = DefaultRouter()
router.register("consultations", ConsultationViewSet, basename="consultation")
router.register(
    "channels", dimension_viewset(Channel, extra_fields=("medium",)), basename="channel"
)
router.register(
    "consultation-types",
    dimension_viewset(ConsultationType),
    basename="consultation-type",
)
router.register(
    "business-lines", dimension_viewset(BusinessLine), basename="business-line"
)
router.register(
    "product-categories",
    dimension_viewset(ProductCategory),
    basename="product-category",
)
router.register(
    "customer-tiers", dimension_viewset(CustomerTier), basename="customer-tier"
)
router.register("teams", dimension_viewset(Team), basename="team")

urlpatterns = router.urls

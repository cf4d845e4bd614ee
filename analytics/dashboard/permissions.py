"""Who may see the dashboard."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

# The dashboard summarises consultations and drills down into their change list, so
# it asks for exactly the permission that list asks for.
DASHBOARD_PERMISSION = "consultations.view_consultation"


def can_view_dashboard(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Return whether the user may open the dashboard pages."""
    return user.is_active and user.is_staff and user.has_perm(DASHBOARD_PERMISSION)

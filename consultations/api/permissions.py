"""
Who may read and write consultations through the API.

Model permissions as the admin grants them: reading needs `view_consultation`
(records name customers), creating `add_`, changing `change_`, deleting `delete_`.
A bulk request may create and update in one call, so it needs both `add_` and
`change_`. Creating a dimension value on first use needs
`consultations.create_dimension_values` on top; without it an unknown code is a
rejected record, not a 403.
"""

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from rest_framework.permissions import DjangoModelPermissions

CREATE_DIMENSION_VALUES = "consultations.create_dimension_values"


class ConsultationPermissions(DjangoModelPermissions):
    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }


class BulkIngestPermissions(DjangoModelPermissions):
    perms_map = {
        **DjangoModelPermissions.perms_map,
        "POST": [
            "%(app_label)s.add_%(model_name)s",
            "%(app_label)s.change_%(model_name)s",
        ],
    }


def may_create_dimension_values(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Return whether ingestion on behalf of `user` may create dimension values."""
    return user.has_perm(CREATE_DIMENSION_VALUES)

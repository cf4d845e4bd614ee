"""Fixtures shared by the consultation API tests."""

from collections.abc import Callable

import pytest
from django.contrib.auth.models import Permission, User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


@pytest.fixture
def client_with() -> Callable[..., APIClient]:
    """Return a factory of token-authenticated clients holding the given permissions."""

    def make(*codenames: str) -> APIClient:
        user = User.objects.create_user(f"integrator-{User.objects.count()}")
        user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
        client = APIClient()
        client.credentials(
            HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user)}"
        )
        return client

    return make

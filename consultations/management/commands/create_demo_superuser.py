"""Create or reset the demo superuser and print its new password."""

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils.translation import gettext

USERNAME = "demo"
ADMIN_URL = "http://127.0.0.1:8000/admin/"


class Command(BaseCommand):
    @property
    def help(self) -> str:  # argparse needs text, not a lazy string
        return gettext(
            'Create the superuser "demo" with a new random password, or reset it when '
            "it exists, and print the password."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Create or reset the user; running it again only changes the password."""
        password = secrets.token_urlsafe(12)
        user, _created = get_user_model().objects.get_or_create(username=USERNAME)
        user.is_staff = True
        user.is_superuser = True
        user.is_active = True
        user.set_password(password)
        user.save()

        self.stdout.write(
            gettext("Username: %(username)s / Password: %(password)s")
            % {"username": USERNAME, "password": password}
        )
        self.stdout.write(gettext("Admin: %(url)s") % {"url": ADMIN_URL})

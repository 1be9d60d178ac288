"""Create an admin login in the Editors or Reporters group."""

import getpass

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction


class Command(BaseCommand):
    help = "Create (or update) a staff login for the admin, as an editor or a reporter."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--role", choices=["editor", "reporter"], default="editor", help="default: editor"
        )
        parser.add_argument(
            "--password", help="the password (prompted for when not given; avoid in shell history)"
        )
        parser.add_argument("--email", default="")

    def handle(self, *args, username, role, password=None, email="", **options):
        group_name = {"editor": "Editors", "reporter": "Reporters"}[role]
        try:
            group = Group.objects.get(name=group_name)
        except Group.DoesNotExist as exc:
            raise CommandError(f"The {group_name} group is missing: run migrate first.") from exc
        User = get_user_model()
        user = User.objects.filter(username=username).first() or User(username=username)
        if password is None:
            password = getpass.getpass(f"Password for {username}: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The two passwords differ.")
        try:
            password_validation.validate_password(password, user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        with transaction.atomic():
            user.email = email or user.email
            user.is_staff = True
            user.set_password(password)
            user.save()
            user.groups.set([group])
        self.stdout.write(self.style.SUCCESS(f"{username} can now log in to /admin/ as {role}."))

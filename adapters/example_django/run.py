#!/usr/bin/env python3
"""One command for the chat demo:

    python3 adapters/example_django/run.py [SOCKETIO_HOST:PORT] [--django HOST:PORT]

creates the database and two users (admin/admin, a staff user, and
ann/ann), then runs ``manage.py runserver_socketio``: socketiod on
127.0.0.1:9000 and the site on http://127.0.0.1:8000/.

    python3 adapters/example_django/run.py --init

only creates the database ($EXAMPLE_DB) and the two users, and exits: for
serving the example from mod_wsgi (etc/apache2/example-django-wsgi.conf).
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]
os.environ["DJANGO_SETTINGS_MODULE"] = "example_django.settings"

if __name__ == "__main__":
    import django
    from django.core.management import call_command, execute_from_command_line
    django.setup()
    if os.environ.get("RUN_MAIN") != "true":   # not again in the reloader's child
        call_command("migrate", verbosity=0, interactive=False)
        from django.contrib.auth.models import User
        for name, staff in (("admin", True), ("ann", False)):
            if not User.objects.filter(username=name).exists():
                User.objects.create_user(name, password=name, is_staff=staff,
                                         is_superuser=staff)
    if sys.argv[1:] == ["--init"]:
        sys.exit(0)
    execute_from_command_line([os.path.join(HERE, "manage.py"),
                               "runserver_socketio"] + sys.argv[1:])

#!/usr/bin/env python3
"""example_django's manage.py (the adapters are taken from ../)."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_django.settings")
    from django.core.management import execute_from_command_line
    execute_from_command_line(sys.argv)

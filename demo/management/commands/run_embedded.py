"""Start the whole platform on the embedded default: web, Celery worker and Celery beat.

Migrates and seeds first, then supervises the three processes until Ctrl-C; if one of
them dies, the others are stopped too, so a broken start never looks like a working one.
"""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = "Migrate, seed demo data and run web + worker + beat (embedded default)."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default=os.environ.get("ADDR", "127.0.0.1"))
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
        parser.add_argument("--no-seed", action="store_true", help="skip seed_demo")

    def handle(self, *args, addr, port, no_seed, **options):
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(_("Database migrated."))
        if not no_seed:
            call_command("seed_demo", stdout=self.stdout)

        python = sys.executable
        celery = [python, "-m", "celery", "-A", "config"]
        commands = {
            "web": [python, "manage.py", "runserver", f"{addr}:{port}", "--noreload"],
            "worker": [*celery, "worker", "--loglevel=INFO", "--concurrency=2"],
            "beat": [*celery, "beat", "--loglevel=INFO"],
        }
        # The sandbox custodian's callbacks (sent by the worker) must reach this web server.
        env = {**os.environ, "SITE_URL": f"http://{addr}:{port}"}
        processes = {
            name: subprocess.Popen(command, cwd=settings.BASE_DIR, env=env)  # noqa: S603
            for name, command in commands.items()
        }
        self.stdout.write(
            self.style.SUCCESS(
                f"\nP2P Lending is starting at http://{addr}:{port}/ "
                "(web, Celery worker and beat). Ctrl-C stops everything.\n"
                f"Emails (signup codes) print here and land in {settings.EMAIL_FILE_PATH}.\n"
            )
        )

        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping:
                for name, process in processes.items():
                    if process.poll() is not None:
                        self.stderr.write(f"{name} exited with {process.returncode}; stopping.")
                        stopping = True
                time.sleep(0.5)
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.terminate()
            for process in processes.values():
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()

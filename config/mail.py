"""Email backend of the embedded default: print to the console and keep a file outbox."""

from django.core.mail.backends.console import EmailBackend as ConsoleBackend
from django.core.mail.backends.filebased import EmailBackend as FileBackend


class ConsoleAndFileBackend(FileBackend):
    """Write each message to a file in EMAIL_FILE_PATH and echo it to the console,
    so a developer sees signup codes in the terminal and tools can read the outbox."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._console = ConsoleBackend(*args, **kwargs)

    def send_messages(self, email_messages):
        sent = super().send_messages(email_messages)
        self._console.send_messages(email_messages)
        return sent

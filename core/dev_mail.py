"""An e-mail backend for a developer's machine: each message whole in a file, one line on the
console. Chosen with EMAIL_URL=devfiles:// (the folder after it; `make run` uses .devdata/mail).

The console backend prints every message in full, which buries everything else a developer
wants to read; this one says who and what, and keeps the message to open when it matters.
"""

import sys
import threading
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone
from django.utils.crypto import get_random_string


class EmailBackend(BaseEmailBackend):
    def __init__(self, *args, folder: str | None = None, stream=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.folder = Path(folder or settings.EMAIL_FILE_PATH)
        self.stream = stream or sys.stdout
        self._lock = threading.RLock()

    def send_messages(self, email_messages) -> int:
        if not email_messages:
            return 0
        self.folder.mkdir(parents=True, exist_ok=True)
        sent = 0
        with self._lock:
            for message in email_messages:
                # Time first, so that a listing of the folder is in the order they were sent.
                stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
                path = self.folder / f"{stamp}-{get_random_string(6)}.eml"
                path.write_bytes(message.message().as_bytes(linesep="\n"))
                recipients = ", ".join(message.recipients())
                subject = " ".join(str(message.subject).split())
                self.stream.write(f"mail: to {recipients}: {subject}  ({path})\n")
                self.stream.flush()
                sent += 1
        return sent

"""An email backend for the fault tests: it says when it starts sending, then hangs long enough to be killed."""

import os
import time
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend


class EmailBackend(BaseEmailBackend):
    def send_messages(self, messages):
        Path(os.environ["SLOW_EMAIL_MARKER"]).write_text("sending")
        time.sleep(120)
        return len(messages)

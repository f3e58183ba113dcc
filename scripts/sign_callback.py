#!/usr/bin/env python3
"""Signs a bank callback with the Standard Webhooks reference library (PyPI `standardwebhooks`).

Usage: sign_callback.py SECRET MSG_ID TIMESTAMP < body
Prints the webhook-signature header value. FeePay's tests use it to show that a callback
signed by the reference implementation is accepted.
"""
import sys
from datetime import datetime, timezone

from standardwebhooks.webhooks import Webhook

secret, msg_id, timestamp = sys.argv[1], sys.argv[2], int(sys.argv[3])
body = sys.stdin.buffer.read().decode("utf-8")
print(Webhook(secret).sign(msg_id, datetime.fromtimestamp(timestamp, tz=timezone.utc), body))

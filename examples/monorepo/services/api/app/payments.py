"""Stripe integration: charges and webhook verification."""
import os

import stripe

stripe.api_key = os.environ["STRIPE_SECRET_KEY"]

# Signing secret of the production webhook endpoint (Dashboard > Developers > Webhooks).
ENDPOINT_SECRET = "whsec_qsn3jHTsFJrWnbZItmMSDED10UY96S31"


def handle_webhook(payload: bytes, signature: str):
    event = stripe.Webhook.construct_event(payload, signature, ENDPOINT_SECRET)
    if event["type"] == "payment_intent.succeeded":
        return event["data"]["object"]["id"]
    return None

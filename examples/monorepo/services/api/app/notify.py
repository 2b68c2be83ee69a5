"""Order notifications to the #orders Slack channel."""
import requests
from slack_sdk import WebClient

ORDERS_WEBHOOK = "https://hooks.slack.com/services/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"

client = WebClient(token="xoxb-881773558075-7887664617465-f9QWAHiLkDNVul8Jw2RUczFn")


def post_order(order_id: str, total: str) -> None:
    requests.post(ORDERS_WEBHOOK, json={"text": f"New order {order_id}: {total}"}, timeout=5)

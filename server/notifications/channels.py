"""The ways a message leaves: e-mail over SMTP, SMS through an HTTP gateway, and, in demo mode
(neither configured), a line in the log instead. Templates (Chinese, by event) are data:
templates.csv beside this module, filled from the ticket's or proposal's fields. Quiet hours: no
SMS reaches a citizen between LIANXIN_QUIET_HOURS_START and _END (city time)."""

from __future__ import annotations

import asyncio
import csv
import json
import logging
import smtplib
import ssl
from datetime import datetime, time, timedelta
from email.message import EmailMessage
from functools import cache
from pathlib import Path
from string import Template
from typing import Any, NamedTuple

import httpx

from server import settings as config
from server.clock import CITY_TZ
from server.privacy.masking import mask_phone

log = logging.getLogger("lianxin.notify")
TEMPLATES = Path(__file__).with_name("templates.csv")


class MessageTemplate(NamedTuple):
    subject: str
    body: str


@cache
def templates() -> dict[tuple[str, str], MessageTemplate]:
    """(key, channel) -> template; channel is SMS, EMAIL or INBOX."""
    with TEMPLATES.open(encoding="utf-8", newline="") as f:
        return {
            (row["key"], row["channel"]): MessageTemplate(row["subject"], row["body"])
            for row in csv.DictReader(f)
        }


class _Fields(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""  # a field the event does not carry reads as nothing rather than failing the send


def render(key: str, channel: str, fields: dict[str, Any]) -> MessageTemplate | None:
    template = templates().get((key, channel))
    if template is None:
        return None
    values = _Fields(fields)
    return MessageTemplate(template.subject.format_map(values), template.body.format_map(values))


def _clock_time(text: str) -> time:
    hours, _, minutes = text.partition(":")
    return time(int(hours), int(minutes or 0))


def quiet_until(moment: datetime) -> datetime | None:
    """When the quiet hours around `moment` end (city time); None outside them."""
    settings = config.settings
    start, end = _clock_time(settings.quiet_hours_start), _clock_time(settings.quiet_hours_end)
    local = moment.astimezone(CITY_TZ)
    now = local.time()
    quiet = (now >= start or now < end) if start > end else (start <= now < end)
    if not quiet:
        return None
    ends = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    return ends if ends > local else ends + timedelta(days=1)


async def send_sms(phone: str, text: str) -> None:
    settings = config.settings
    if not settings.sms_gateway_url:
        log.info("SMS (demo mode, not sent) to %s: %s", mask_phone(phone), text)
        return
    body = Template(settings.sms_gateway_template).substitute(
        phone=json.dumps(phone)[1:-1], text=json.dumps(text, ensure_ascii=False)[1:-1]
    )
    async with httpx.AsyncClient(trust_env=False, timeout=settings.webhook_timeout_seconds) as client:
        answer = await client.post(
            settings.sms_gateway_url,
            content=body.encode(),
            headers={"content-type": "application/json; charset=utf-8"},
        )
    answer.raise_for_status()


def _smtp_send(address: str, subject: str, body: str) -> None:
    settings = config.settings
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = address
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(
        settings.smtp_host, settings.smtp_port, timeout=settings.webhook_timeout_seconds
    ) as smtp:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password)
        smtp.send_message(message)


async def send_email(address: str, subject: str, body: str) -> None:
    if not config.settings.smtp_host:
        log.info("e-mail (demo mode, not sent) to %s: %s / %s", mask_address(address), subject, body)
        return
    await asyncio.to_thread(_smtp_send, address, subject, body)  # smtplib blocks


def mask_address(address: str) -> str:
    name, _, domain = address.partition("@")
    return f"{name[:1]}***@{domain}"

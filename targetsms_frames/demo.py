"""The demo campaign against the built-in sandbox (``targetsms-frames demo``)."""

from __future__ import annotations

import random

import pandas as pd

from .channels import CHANNELS
from .costs import cost_report, estimate_cost
from .errors import InputError
from .excel import to_excel
from .planning import plan, problems
from .sandbox import sandbox
from .sending import send
from .states import fetch_states

DEMO_TARIFFS = {"viber": "1.20", "whatsapp": "2.00", "vk": "0.90", "sms": "2.50"}
DEMO_VK_TEMPLATE = "100"  # a template approved in the (sandbox) cabinet
FIRST_NAMES = ["Анна", "Борис", "Вера", "Глеб", "Дарья", "Егор", "Жанна", "Олег", "Ирина", "Кирилл"]


def sample_templates() -> pd.DataFrame:
    """Two templates: a Viber → SMS cascade with a button, and an SMS reminder."""
    return pd.DataFrame(
        {
            "template": ["promo", "reminder"],
            "name_delivery": ["Осенняя распродажа", "Напоминание о заказе"],
            "send_viber": ["1", "0"],
            "send_sms": ["2", "1"],
            "sender_viber": ["ShopDemo", None],
            "text_viber": ["{name}, для вас скидка {discount}% до воскресенья!", None],
            "button_text": ["Выбрать подарок", None],
            "button_url": ["https://example.org/sale", None],
            "validity_period_viber": ["60", None],
            "sender_sms": ["ShopDemo", "ShopDemo"],
            "text_sms": [
                "{name}, скидка {discount}% до воскресенья: example.org/sale",
                "Order {order} is ready for pickup. Thank you!",
            ],
        }
    )


def channel_templates() -> pd.DataFrame:
    """The newer channels: WhatsApp → SMS, and VK → WhatsApp → Viber → SMS.

    VK sends a template approved in the provider's cabinet (``templateId``) with its
    parameters in ``templateData``: JSON text whose values take ``{placeholders}``.
    """
    return pd.DataFrame(
        {
            "template": ["chat", "vk"],
            "name_delivery": ["Чат-рассылка", "VK-рассылка"],
            "send_viber": ["0", "3"],
            "send_whatsapp": ["1", "2"],
            "send_vk": ["0", "1"],
            "send_sms": ["2", "4"],
            "sender_viber": [None, "ShopDemo"],
            "text_viber": [None, "{name}, скидка {discount}% ждёт вас"],
            "sender_whatsapp": ["ShopDemo", "ShopDemo"],
            "text_whatsapp": ["{name}, заказ {order} готов к выдаче", "{name}, скидка {discount}%"],
            "validity_period_whatsapp": ["120", None],
            "templateId": [None, DEMO_VK_TEMPLATE],
            "templateData": [None, '{"Name": "{name}", "Discount": "{discount}"}'],
            "sender_sms": ["ShopDemo", "ShopDemo"],
            "text_sms": ["Order {order} is ready for pickup.", "{name}, -{discount}%: example.org"],
        }
    )


def demo_templates() -> pd.DataFrame:
    """Every template of the demo: the Viber/SMS ones and the newer channels'."""
    return pd.concat([sample_templates(), channel_templates()], ignore_index=True)


def sample_recipients(n: int = 1000, seed: int = 7) -> pd.DataFrame:
    """Recipients as they come from a spreadsheet: messy phones and a few bad rows."""
    rng = random.Random(seed)
    rows: list[dict[str, str | None]] = []
    for i in range(n):
        digits = f"79{rng.randrange(10**9):09d}"
        style = i % 10
        if style == 1:
            phone = f"8 ({digits[1:4]}) {digits[4:7]}-{digits[7:9]}-{digits[9:]}"
        elif style == 2:
            phone = f"+7 {digits[1:4]} {digits[4:7]} {digits[7:9]} {digits[9:]}"
        else:
            phone = digits
        rows.append(
            {
                "phone": phone,
                "name": rng.choice(FIRST_NAMES),
                "template": "promo" if i % 3 else "reminder",
                "discount": str(rng.choice([10, 15, 20])),
                "order": f"A-{100000 + i}",
            }
        )
    # A few rows a careful tool must refuse, each for its own reason; n rows in all.
    if n >= 7:
        rows[3]["phone"] = "позвонить вечером"
        rows[4]["name"] = None
        rows[4]["template"] = "promo"
        rows[5]["template"] = "black-friday"
        rows[-1] = dict(rows[0])  # a duplicate of the first row
    return pd.DataFrame(rows)


def run_demo(
    *, output: str, recipients: int = 1000, seed: int = 7, labels: str | None = None
) -> int:
    """Plan, send, wait for final states and report a sample campaign; write a workbook.

    The workbook opens on its summary; ``labels`` ("ru", "en" or None) as in ``to_excel``.
    """
    if recipients < 1:
        raise InputError(f"the demo needs at least 1 recipient, not {recipients}")
    people = sample_recipients(recipients, seed)
    # Every fifth row goes by WhatsApp, every seventh by VK first (the newer channels).
    position = pd.Series(range(len(people)), index=people.index)
    people.loc[position % 5 == 2, "template"] = "chat"
    people.loc[position % 7 == 6, "template"] = "vk"
    campaign = plan(people, demo_templates(), campaign=f"demo-{seed}")
    estimate = estimate_cost(campaign, DEMO_TARIFFS)
    with sandbox(seed=seed, speed=86_400.0, tariffs=DEMO_TARIFFS, stop_list=["79000000000"]) as sb:
        client = sb.client()
        sent = send(campaign, client, progress=None)
        states = fetch_states(sent, client, wait=True, timeout=120, interval=0.2, progress=None)
        charged = sb.ledger.total_charged
    report = cost_report(states, estimate=estimate)
    to_excel(
        output,
        labels=labels,
        summary=True,
        problems=problems(campaign),
        plan=campaign,
        sent=sent,
        states=states,
        costs=report.reset_index(),
    )
    total = report.loc["total"].to_dict()
    outcomes = sent["outcome"].value_counts().to_dict()
    print(
        f"demo campaign: {len(people)} recipients, {outcomes.get('invalid', 0)} refused by the plan"
    )
    print(
        f"sent: {outcomes.get('accepted', 0)} accepted, {outcomes.get('held', 0)} held, "
        f"{outcomes.get('rejected', 0)} rejected"
    )
    by_channel = ", ".join(f"{c.name} {int(total[f'delivered_{c.name}'])}" for c in CHANNELS)
    print(f"delivered: {int(total['delivered'])} ({total['delivery_rate']:.1%}); {by_channel}")
    print(f"viber engagement: {int(total['read'])} read, {int(total['clicks'])} followed the link")
    print(
        f"money: {total['money_total']:.2f} RUB (estimate {total['estimate']:.2f}); "
        f"the sandbox charged {charged} RUB"
    )
    print(f"workbook: {output}")
    return 0

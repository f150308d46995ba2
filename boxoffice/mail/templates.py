"""E-mail bodies from templates/emails/: a plain-text part, and an HTML part with autoescaping on."""

from __future__ import annotations

import functools
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from boxoffice.documents.formatting import local_format
from boxoffice.documents.paths import TEMPLATES_DIR

PRIVACY_CENTRE_PATH = "/privacy-centre"  # "Your data and preferences", linked from every e-mail


@functools.cache
def email_environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR / "emails"),
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals["local_format"] = local_format
    return environment


def render_email(name: str, context: dict[str, Any]) -> tuple[str, str]:
    """(text, html) for templates/emails/<name>.txt and <name>.html."""
    environment = email_environment()
    return (
        environment.get_template(f"{name}.txt").render(context),
        environment.get_template(f"{name}.html").render(context),
    )

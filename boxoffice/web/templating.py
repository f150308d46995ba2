"""The one Jinja environment: autoescaping on for every template, our globals and nothing else."""

from __future__ import annotations

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Request
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template import TemplateConfig

from boxoffice.documents.formatting import local_format
from boxoffice.documents.paths import TEMPLATES_DIR
from boxoffice.web.seat_drawing import draw_plan, seat_symbol


def template_config(*, auto_reload: bool) -> TemplateConfig[JinjaTemplateEngine]:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        auto_reload=auto_reload,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals["local_format"] = local_format
    environment.globals["seat_map"] = draw_plan  # staff's seat maps; buyers' are drawn by their routes
    environment.globals["seat_symbol"] = seat_symbol
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment))


def render_page(request: Request, name: str, context: dict) -> bytes:
    """A page's HTML, for pages kept in a `PageCache`: the body alone, so nothing made for this request
    (cookies, headers) is kept with it. Such pages must not show anything of one visitor's, such as a
    CSRF token."""
    return request.app.template_engine.get_template(name).render(**context, request=request).encode()

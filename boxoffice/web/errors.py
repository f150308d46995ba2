"""Error pages: a plain explanation and a way back, never a stack trace."""

from __future__ import annotations

import logging

from litestar import Request
from litestar.exceptions import HTTPException
from litestar.response import Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR, HTTP_503_SERVICE_UNAVAILABLE

from boxoffice.documents.pdf import RendererFailed
from boxoffice.web.observability import REQUEST_ID

logger = logging.getLogger("boxoffice")

ERROR_MESSAGES = {
    400: ("Something in that request was not right", "Please go back and check what you entered."),
    403: ("You cannot open this page", "Your account does not have access to it."),
    404: ("Page not found", "The page may have moved, or the address may be mistyped."),
    405: ("That action is not available here", "Please go back and try again from the page."),
    413: ("That file is too large", "Please go back and choose a smaller file."),
    429: ("Too many attempts", "Please wait a minute and try again."),
    500: ("Something went wrong on our side", "It has been logged. Please try again in a moment."),
}
PDF_NOT_MADE = (
    "Your PDF could not be made just now",
    "The part of the system that makes PDFs stopped while making it. Please try again in a moment.",
)


def error_page(status_code: int, message: tuple[str, str] | None = None) -> Template:
    """The error page for `status_code`, with its usual title and explanation unless `message` gives them,
    and the request's id, which finds its lines in the logs when someone reports the page."""
    title, explanation = message or ERROR_MESSAGES.get(
        status_code, ERROR_MESSAGES[400 if status_code < 500 else 500]
    )
    return Template(
        "errors/error.html",
        context={
            "status_code": status_code,
            "title": title,
            "explanation": explanation,
            "request_id": REQUEST_ID.get(),
        },
        status_code=status_code,
        # An error page is never an address to keep: a page that swaps it in with htmx (the Sell screen)
        # leaves the browser's address as it was.
        headers={"Cache-Control": "no-store", "HX-Push-Url": "false"},
    )


def http_error(request: Request, exc: HTTPException) -> Template:
    return error_page(exc.status_code)


def unexpected_error(request: Request, exc: Exception) -> Template:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_page(HTTP_500_INTERNAL_SERVER_ERROR)


def renderer_failed(request: Request, exc: RendererFailed) -> Template:
    """A PDF renderer died (see `documents.pdf`): nothing was made, and trying again starts a new one."""
    logger.error("%s on %s %s", exc, request.method, request.url.path)
    return error_page(HTTP_503_SERVICE_UNAVAILABLE, PDF_NOT_MADE)


EXCEPTION_HANDLERS = {
    HTTPException: http_error,
    RendererFailed: renderer_failed,
    Exception: unexpected_error,
}

"""Settings > Storefront: the venue's name and logo, checkout limits, ticket stock, and the T&Cs and
privacy policy.

One form saves everything; the rules (ranges, new versions only for real changes, sanitising, auditing)
live in `venue.settings` and `venue.policies`. Below each policy the page shows its versions. The
marketing questions are set under Marketing > Settings, beside the consents given under each version.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from boxoffice.auth.permissions import Perm
from boxoffice.documents.pictures import PictureRefused
from boxoffice.errors import Refused
from boxoffice.sales import pictures
from boxoffice.venue import policies
from boxoffice.venue import settings as venue_settings
from boxoffice.venue.tables import PolicyKind
from boxoffice.web.dependencies import Acting
from boxoffice.web.forms import FORM
from boxoffice.web.guards import Staff
from boxoffice.web.pictures import MOST_PICTURE_FORM_BYTES, posted_picture, posted_text

STOREFRONT_SETTINGS = {"permission": Perm.SETTINGS_STOREFRONT}
NOTICES = {
    "saved": "The storefront settings have been saved.",
    "logo": "The logo has been saved.",
    "logo_removed": "The logo has been removed.",
}


@dataclass
class StorefrontSettingsForm:
    """The fields the form may send, as typed; ticked checkboxes send "yes", unticked ones nothing."""

    house_name: str = ""
    hold_minutes: str = ""
    max_tickets_per_order: str = ""
    pay_at_box_office: str = ""
    reservation_lapse_hours: str = ""
    thermal_tickets: str = ""
    terms_html: str = ""
    privacy_html: str = ""

    def values(self) -> dict[str, str | bool]:
        """What to show in the form again."""
        return {
            "house_name": self.house_name,
            "hold_minutes": self.hold_minutes,
            "max_tickets_per_order": self.max_tickets_per_order,
            "pay_at_box_office": bool(self.pay_at_box_office),
            "reservation_lapse_hours": self.reservation_lapse_hours,
            "thermal_tickets": bool(self.thermal_tickets),
            "terms_html": self.terms_html,
            "privacy_html": self.privacy_html,
        }

    def changes(self) -> tuple[venue_settings.StorefrontChanges, dict[str, str]]:
        """The typed changes, and a message for each number that is not a whole number (given to the
        service as -1, which no rule allows)."""
        problems: dict[str, str] = {}
        numbers: dict[str, int] = {}
        for name, rule in venue_settings.NUMBER_RULES.items():
            text = getattr(self, name).strip()
            if text.isascii() and text.isdigit() and len(text) <= 6:
                numbers[name] = int(text)
            else:
                numbers[name] = -1
                problems[name] = rule.message
        changes = venue_settings.StorefrontChanges(
            house_name=" ".join(self.house_name.split()),
            hold_minutes=numbers["hold_minutes"],
            max_tickets_per_order=numbers["max_tickets_per_order"],
            pay_at_box_office=bool(self.pay_at_box_office),
            reservation_lapse_hours=numbers["reservation_lapse_hours"],
            thermal_tickets=bool(self.thermal_tickets),
            terms_html=self.terms_html,
            privacy_html=self.privacy_html,
        )
        return changes, problems


def values_in_effect(
    current: venue_settings.StorefrontSettings, terms: policies.PolicyVersion, privacy: policies.PolicyVersion
) -> dict[str, str | bool]:
    return {
        "house_name": current.house_name,
        "hold_minutes": str(current.hold_minutes),
        "max_tickets_per_order": str(current.max_tickets_per_order),
        "pay_at_box_office": current.pay_at_box_office,
        "reservation_lapse_hours": str(current.reservation_lapse_hours),
        "thermal_tickets": current.thermal_tickets,
        "terms_html": terms.html,
        "privacy_html": privacy.html,
    }


async def settings_page(
    *,
    values: dict[str, str | bool] | None = None,
    errors: dict[str, str] | None = None,
    notice: str = "",
    logo_refusal: Refused | None = None,
    logo_alt: str | None = None,
    status_code: int = 200,
) -> Template:
    """The form (with `values` as submitted, or else the settings in effect), the logo's form and every
    version history."""
    current = await venue_settings.storefront_settings()
    logo = (await pictures.house()).logo
    terms = await policies.policy_versions(PolicyKind.TERMS)
    privacy = await policies.policy_versions(PolicyKind.PRIVACY)
    errors = errors or {}
    return Template(
        "backoffice/settings_storefront.html",
        context={
            "values": values if values is not None else values_in_effect(current, terms[0], privacy[0]),
            "errors": errors,
            "error_list": list(errors.values()),
            "notice": notice,
            "rules": venue_settings.NUMBER_RULES,
            "policies": {"terms": terms, "privacy": privacy},
            "logo": logo,
            "logo_alt": logo_alt if logo_alt is not None else (logo.alt if logo else ""),
            "logo_problems": {
                "errors": list(logo_refusal.problems.values()) if logo_refusal else [],
                "field_errors": logo_refusal.problems if logo_refusal else {},
            },
        },
        status_code=status_code,
    )


@get("/backoffice/settings/storefront", name="backoffice.settings.storefront", opt=STOREFRONT_SETTINGS)
async def storefront_settings(done: FromQuery[str] = "") -> Template:
    return await settings_page(notice=NOTICES.get(done, ""))


@post("/backoffice/settings/storefront", name="backoffice.settings.storefront.save", opt=STOREFRONT_SETTINGS)
async def save_storefront_settings(
    request: Request, acting: Acting, data: Annotated[StorefrontSettingsForm, FORM]
) -> Template | Redirect:
    staff: Staff = acting.staff
    changes, problems = data.changes()
    problems = {**venue_settings.find_problems(changes), **problems}
    if not problems:
        try:
            await venue_settings.save_storefront_settings(changes, actor_id=staff.id, ip=acting.ip)
        except venue_settings.SettingsRefused as refusal:
            problems = refusal.problems
    if problems:
        return await settings_page(values=data.values(), errors=problems, status_code=400)
    return Redirect(
        path=request.app.route_reverse("backoffice.settings.storefront"),
        query_params={"done": "saved"},
        status_code=303,
    )


@post(
    "/backoffice/settings/storefront/logo",
    name="backoffice.settings.storefront.logo",
    opt=STOREFRONT_SETTINGS,
    request_max_body_size=MOST_PICTURE_FORM_BYTES,
)
async def set_logo(request: Request, acting: Acting) -> Template | Redirect:
    """Upload the logo the storefront's header shows, or change the words that describe it."""
    form = await request.form()
    alt = posted_text(form, "logo_alt")
    try:
        prepared = await posted_picture(form, "logo")
        await pictures.set_logo(prepared, alt, actor_id=acting.staff.id, ip=acting.ip)
    except PictureRefused as refusal:
        return await settings_page(logo_refusal=refusal, logo_alt=alt, status_code=400)
    return Redirect(
        path=request.app.route_reverse("backoffice.settings.storefront"),
        query_params={"done": "logo"},
        status_code=303,
    )


@post(
    "/backoffice/settings/storefront/logo/remove",
    name="backoffice.settings.storefront.logo.remove",
    opt=STOREFRONT_SETTINGS,
)
async def remove_logo(request: Request, acting: Acting) -> Redirect:
    await pictures.remove_logo(actor_id=acting.staff.id, ip=acting.ip)
    return Redirect(
        path=request.app.route_reverse("backoffice.settings.storefront"),
        query_params={"done": "logo_removed"},
        status_code=303,
    )


ROUTES = [storefront_settings, save_storefront_settings, set_logo, remove_logo]

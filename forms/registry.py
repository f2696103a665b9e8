"""Form keys named by processes and the API, and what can be done with a form by its key.

Besides the forms written here (`FORMS`), a process version may describe forms of its own (`forms.described`,
keys `vendor_…`): the deployment registers them (`register_described`), and a process that has not seen one yet
asks the resolver the application set (`resolve_described_with`), which reads the stored versions.
"""

import copy
import datetime as dt
from collections.abc import Callable
from functools import cache
from typing import Any

from marshmallow import Schema, ValidationError

from forms import described
from forms.agreement import (
    AgreementSigningForm,
    DesignationApplicationForm,
    ExpertScoreForm,
    NegotiationForm,
    ObjectionHandlingForm,
    PublicityObjectionForm,
    SiteAssessmentForm,
)
from forms.base import FormSchema
from forms.closing import ArchiveForm, CollectionForm, ConcludeForm, HandoverForm
from forms.enrolment import CertificateForm, InfoChangeForm, InsuredRegistrationForm, RemoteCareFilingForm
from forms.intake import CaseStartForm, MissingMaterialsNoticeForm, SupplementForm
from forms.investigation import InjuryInvestigationForm
from forms.json_schema import form_json_schema
from forms.manual_claims import MaterialsMailingForm, PointReviewForm, RoutingReviewForm
from forms.people import ApplicantForm, MandateForm
from forms.rating import FollowUpVisitForm, RectificationForm
from forms.reimbursement import PayoutForm, ReimbursementClaimForm
from forms.review import RejectionFeedbackForm, ReviewForm
from forms.service import ConsultationForm, RatingForm, ReferralForm
from forms.supervision import EscalationNoticeForm, UrgeForm
from forms.validators import on_day

FORMS: dict[str, type[FormSchema]] = {
    "applicant": ApplicantForm,
    "mandate": MandateForm,
    "case_start": CaseStartForm,
    "reimbursement_claim": ReimbursementClaimForm,
    "missing_materials_notice": MissingMaterialsNoticeForm,
    "supplement": SupplementForm,
    "review": ReviewForm,
    "handover": HandoverForm,
    "payout": PayoutForm,
    "rejection_feedback": RejectionFeedbackForm,
    "conclude": ConcludeForm,
    "collection": CollectionForm,
    "archive": ArchiveForm,
    "consultation": ConsultationForm,
    "remote_care_filing": RemoteCareFilingForm,
    "insured_registration": InsuredRegistrationForm,
    "info_change": InfoChangeForm,
    "certificate": CertificateForm,
    "rating": RatingForm,
    "referral": ReferralForm,
    "urge": UrgeForm,
    "escalation_notice": EscalationNoticeForm,
    "rectification": RectificationForm,
    "follow_up_visit": FollowUpVisitForm,
    "injury_investigation": InjuryInvestigationForm,
    "point_review": PointReviewForm,
    "routing_review": RoutingReviewForm,
    "materials_mailing": MaterialsMailingForm,
    "designation_application": DesignationApplicationForm,
    "site_assessment": SiteAssessmentForm,
    "expert_score": ExpertScoreForm,
    "negotiation": NegotiationForm,
    "publicity_objection": PublicityObjectionForm,
    "objection_handling": ObjectionHandlingForm,
    "agreement_signing": AgreementSigningForm,
}


class UnknownForm(LookupError):
    """A process or request named a form key that no schema answers to."""

    def __init__(self, form_key):
        super().__init__(f"未知表单：{form_key}")
        self.form_key = form_key


class FormInvalid(ValueError):
    """What a clerk typed does not pass; `errors` maps each field to its Chinese messages."""

    def __init__(self, form_key: str, errors: dict):
        super().__init__(f"“{title_of(form_key)}”填写有误")
        self.form_key = form_key
        self.errors = errors


_described: dict[str, type[FormSchema]] = {}


def _nowhere(form_key: str) -> dict[str, Any] | None:
    return None


_resolver: Callable[[str], dict[str, Any] | None] = _nowhere


def known_form_keys() -> set[str]:
    """The forms written here; described forms are known to the versions describing them."""
    return set(FORMS)


def register_described(description: dict[str, Any]) -> str:
    """Make a described form known by its key (derived from its content); DescriptionInvalid if it cannot be."""
    key = described.form_key(description)
    if key not in _described:
        _described[key] = described.build(description)
    return key


def resolve_described_with(resolver: Callable[[str], dict[str, Any] | None]) -> None:
    """Where to find the description of a `vendor_…` key this process has not registered (None: nowhere)."""
    global _resolver
    _resolver = resolver


def _described_form(form_key: str) -> type[FormSchema] | None:
    if form_key not in _described and described.is_described_key(form_key):
        description = _resolver(form_key)
        if description is not None and described.form_key(description) == form_key:
            register_described(description)
    return _described.get(form_key)


@cache
def schema_for(form_key: str) -> Schema:
    """The shared schema instance for `form_key`; raises UnknownForm."""
    form = FORMS.get(form_key) or _described_form(form_key)
    if form is None:
        raise UnknownForm(form_key)
    return form()


def title_of(form_key: str) -> str:
    return type(schema_for(form_key)).Meta.title


def clean(form_key: str, data: dict, today: dt.date | None = None) -> dict:
    """Validate `data` and return it as JSON primitives fit for workflow task data.

    `today` is the clerk's calendar day (Asia/Shanghai) for rules such as "not after today"; the engine
    passes its clock's (`clock.now().date()`); without it, `forms.validators.today_in_china()` decides.
    Money comes back as text with two places ("1234.50"), dates as ISO text.
    Raises FormInvalid with marshmallow's field → messages dict.
    """
    schema = schema_for(form_key)
    try:
        if today is None:
            loaded = schema.load(data)
        else:
            with on_day(today):
                loaded = schema.load(data)
    except ValidationError as error:
        raise FormInvalid(form_key, error.messages) from error
    return schema.dump(loaded)


@cache
def _json_schema(form_key: str) -> dict:
    return form_json_schema(schema_for(form_key))


def json_schema(form_key: str) -> dict:
    """JSON Schema (OpenAPI schema object) with Chinese titles, enums and `required`."""
    return copy.deepcopy(_json_schema(form_key))

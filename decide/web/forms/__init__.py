"""Flask-WTF forms, money parsing, and the GOV.UK-style error helpers used by templates.

One module per area; import from here. `base` holds DecideForm (every form's base) and the
error helpers behind the `_forms.html` macros; `fields` the money and count fields.
"""

from __future__ import annotations

from decide.web.forms.accounts import (
    AccountDetailsForm,
    EmailChangeForm,
    EmailOnlyForm,
    LoginForm,
    NewPasswordForm,
    PasswordChangeForm,
    PostcodeForm,
    PostcodeTableForm,
    RegisterForm,
)
from decide.web.forms.base import (
    CONTROL_CHARACTERS_MESSAGE,
    ActionForm,
    DecideForm,
    add_error,
    anchor_id,
    error_list,
    field_attrs,
    find_field,
    register,
    run_action,
    show_domain_error,
)
from decide.web.forms.eligibility import (
    AccessCodesForm,
    EligibilityForm,
    LedgerPaymentForm,
    PaperNumbersForm,
    RollCodesForm,
    RollUploadForm,
    SelfDeclaredForm,
)
from decide.web.forms.fields import (
    AmountRequired,
    BoundedNumberField,
    PoundsField,
    WholeNumberField,
    int_field,
    options,
    parse_pence,
    positive_pence,
    row_id,
)
from decide.web.forms.proposals import (
    AcceptForm,
    CostLineForm,
    MemberForm,
    OrganisationForm,
    ProposalForm,
    ReviewForm,
)
from decide.web.forms.rounds import (
    AreaForm,
    PanelMemberForm,
    PhaseForm,
    RoundForm,
    ThemeForm,
)

__all__ = [
    "CONTROL_CHARACTERS_MESSAGE",
    "AcceptForm",
    "AccessCodesForm",
    "AccountDetailsForm",
    "ActionForm",
    "AmountRequired",
    "AreaForm",
    "BoundedNumberField",
    "CostLineForm",
    "DecideForm",
    "EligibilityForm",
    "EmailChangeForm",
    "EmailOnlyForm",
    "LedgerPaymentForm",
    "LoginForm",
    "MemberForm",
    "NewPasswordForm",
    "OrganisationForm",
    "PanelMemberForm",
    "PaperNumbersForm",
    "PasswordChangeForm",
    "PhaseForm",
    "PostcodeForm",
    "PostcodeTableForm",
    "PoundsField",
    "ProposalForm",
    "RegisterForm",
    "ReviewForm",
    "RollCodesForm",
    "RollUploadForm",
    "RoundForm",
    "SelfDeclaredForm",
    "ThemeForm",
    "WholeNumberField",
    "add_error",
    "anchor_id",
    "error_list",
    "field_attrs",
    "find_field",
    "int_field",
    "options",
    "parse_pence",
    "positive_pence",
    "register",
    "row_id",
    "run_action",
    "show_domain_error",
]

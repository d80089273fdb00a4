"""Errors of the party flow (English ids; zh_CN in ``core/parties/locale``)."""

from core.errors import JiefenError


class CodeRejected(JiefenError):
    status_code = 400
    code = "code_rejected"
    message = "The code is wrong or has expired. Ask for a new one."


class CodeNotSent(JiefenError):
    status_code = 503
    code = "code_not_sent"
    message = "The code could not be sent. Please try again later."


class SessionRequired(JiefenError):
    status_code = 401
    code = "party_session_required"
    message = "Enter the code sent to your phone to open this case."

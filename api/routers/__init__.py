"""One router per resource, each tagged for /docs."""

from api.schemas import Error

# The refusals every router may give, documented so clients (and schemathesis) know them.
ERRORS: dict[int | str, dict] = {
    401: {"model": Error, "description": "No valid token"},
    403: {"model": Error, "description": "Not allowed, or banned"},
    404: {"model": Error, "description": "Not found"},
    409: {"model": Error, "description": "Conflicts with the data"},
    413: {"model": Error, "description": "Request body too large (API_MAX_BODY_BYTES)"},
}

"""OpenAPI post-processing: document the error answers every operation can give."""

ERRORS = {
    "400": "Bad input: an object of field errors ({\"field\": [\"message\"]}) or {\"detail\": …}.",
    "401": "No or invalid credentials.",
    "403": "Your role may not do this.",
    "404": "No such object (or page).",
    "405": "No such operation on this path (no data is deleted through the API; you may revoke your own tokens).",
    "409": "A lost race: the version you sent is stale, or the object's state forbids the change.",
    "413": "The request body is too large.",
    "415": "The body's content type is not JSON, form data or multipart.",
    "429": "Too many requests: slow down (see Retry-After).",
}
WRITES = {"post", "put", "patch", "delete"}


def add_error_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = {
        "type": "object",
        "additionalProperties": True,
        "description": "An error: {\"detail\": \"…\"} or field errors.",
    }
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete", "head", "options"}:
                continue
            responses = operation.setdefault("responses", {})
            for code, description in ERRORS.items():
                if code in {"409", "413", "415"} and method not in WRITES:
                    continue
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                )
    return result


def _link(operation_id: str, **parameters: str) -> dict:
    return {"operationId": operation_id, "parameters": parameters}


def _follow_id(prefix: str, source: str) -> dict:
    """The operations on one object, its id taken from `source` (a runtime expression)."""
    targets = {
        "questions": ["retrieve", "partial_update", "resolve_create", "unresolve_create"],
        "predictions": ["retrieve", "partial_update"],
        "checks": ["retrieve", "snooze_create"],
        "sources": ["retrieve"],
    }[prefix]
    return {f"{prefix}_{target}": _link(f"{prefix}_{target}", id=source) for target in targets}


# Which answer leads to which operations (OpenAPI links), so that a client, and stateful fuzzing, can chain calls
# on real objects instead of guessing ids.
LINKS = {
    ("questions_create", "201"): _follow_id("questions", "$response.body#/id"),
    ("questions_retrieve", "200"): _follow_id("questions", "$response.body#/id"),
    ("questions_partial_update", "200"): _follow_id("questions", "$response.body#/id"),
    ("questions_list", "200"): _follow_id("questions", "$response.body#/results/0/id"),
    ("predictions_create", "201"): _follow_id("predictions", "$response.body#/id"),
    ("predictions_list", "200"): _follow_id("predictions", "$response.body#/results/0/id"),
    ("checks_create", "201"): _follow_id("checks", "$response.body#/id"),
    ("checks_list", "200"): _follow_id("checks", "$response.body#/results/0/id"),
    ("sources_create", "201"): _follow_id("sources", "$response.body#/source/id"),
    ("sources_create", "202"): {"ingest_jobs_retrieve": _link("ingest_jobs_retrieve", id="$response.body#/id")},
    ("sources_list", "200"): _follow_id("sources", "$response.body#/results/0/id"),
    ("analysts_list", "200"): {
        "analysts_retrieve": _link("analysts_retrieve", slug="$response.body#/results/0/slug"),
        "analysts_calibration_retrieve": _link("analysts_calibration_retrieve", slug="$response.body#/results/0/slug"),
    },
    ("calibration_list", "200"): {
        "analysts_calibration_retrieve": _link("analysts_calibration_retrieve", slug="$response.body#/results/0/analyst"),
    },
}


def add_links(result, generator, request, public):
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for code, response in operation.get("responses", {}).items():
                links = LINKS.get((operation.get("operationId"), code))
                if links:
                    response["links"] = links
    return result

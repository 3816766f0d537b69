"""OpenAPI post-processing: document the error answers every operation can give."""

ERRORS = {
    "400": "Bad input: an object of field errors ({\"field\": [\"message\"]}) or {\"detail\": …}.",
    "401": "No or invalid credentials.",
    "403": "Your role may not do this.",
    "404": "No such object (or page).",
    "405": "No such operation on this path (nothing is deleted through the API).",
    "409": "A lost race: the version you sent is stale, or the object's state forbids the change.",
    "413": "The request body is too large.",
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
                if code in {"409", "413"} and method not in WRITES:
                    continue
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                )
    return result

"""The OpenAPI 3.1 description of the API, served at /api/v1/openapi.json and checked
against the running app by schemathesis in the tests."""

from __future__ import annotations

from typing import Any

TIME = {"type": ["string", "null"], "format": "date-time"}
LINK = {"type": "object", "properties": {"href": {"type": "string"}}, "required": ["href"]}
LINKS = {"type": "object", "additionalProperties": LINK}
PAGE_FIELDS = {
    "total_records": {"type": "integer", "minimum": 0},
    "total_pages": {"type": "integer", "minimum": 1},
    "page": {"type": "integer", "minimum": 1},
    "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
    "_links": {"$ref": "#/components/schemas/Links"},
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": _ref("Problem")}},
    }


def _hal(description: str, schema: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/hal+json": {"schema": _ref(schema)}},
    }


ERRORS = {
    "401": _problem("No key, or a wrong or revoked one."),
    "429": _problem("Too many requests with this key; see Retry-After."),
}
SLUG = {
    "name": "slug",
    "in": "path",
    "required": True,
    "description": "The petition's identifier (the part after `campaign:`).",
    "schema": {"type": "string", "maxLength": 200},
}
PAGE = [
    {
        "name": "page",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": 1000000000, "default": 1},
    },
    {
        "name": "per_page",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 25},
    },
]
CURSOR = {
    "name": "cursor",
    "in": "query",
    "description": "Opaque: follow the `next` and `prev` links rather than building it.",
    "schema": {"type": "string", "maxLength": 200},
}
FILTER = {
    "name": "filter",
    "in": "query",
    "description": "Incremental sync: `modified_date gt '2026-11-01T00:00:00Z'`.",
    "schema": {"type": "string", "maxLength": 100},
}

SCHEMAS: dict[str, Any] = {
    "Links": LINKS,
    "Root": {
        "type": "object",
        "required": ["_links"],
        "properties": {"motd": {"type": "string"}, "_links": LINKS},
    },
    "Problem": {
        "type": "object",
        "required": ["type", "title", "status"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "errors": {
                "type": "object",
                "description": "Field errors, by the field's place in the request body.",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
        },
    },
    "Petition": {
        "type": "object",
        "required": ["identifiers", "title", "total_signatures", "browser_url", "_links"],
        "properties": {
            "identifiers": {"type": "array", "items": {"type": "string"}},
            "origin_system": {"type": "string"},
            "title": {"type": "string"},
            "summary": {"type": "string"},
            "description": {"type": "string", "description": "HTML"},
            "petition_text": {"type": "string", "description": "Markdown"},
            "target": {
                "type": "array",
                "items": {"type": "object", "properties": {"name": {"type": "string"}}},
            },
            "browser_url": {"type": "string"},
            "total_signatures": {"type": "integer", "minimum": 0},
            "created_date": TIME,
            "modified_date": TIME,
            "_links": LINKS,
        },
    },
    "Person": {
        "type": "object",
        "properties": {
            "given_name": {"type": "string"},
            "family_name": {"type": "string"},
            "email_addresses": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "address": {"type": "string"},
                        "primary": {"type": "boolean"},
                        "status": {"enum": ["subscribed", "unsubscribed"]},
                    },
                },
            },
            "postal_addresses": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "postal_code": {"type": "string"},
                        "country": {"type": "string"},
                    },
                },
            },
            "languages_spoken": {"type": "array", "items": {"type": "string"}},
            "custom_fields": {"type": "object"},
        },
    },
    "Signature": {
        "type": "object",
        "required": ["identifiers", "created_date", "modified_date", "person", "_links"],
        "properties": {
            "identifiers": {"type": "array", "items": {"type": "string"}},
            "created_date": TIME,
            "modified_date": TIME,
            "action_date": {**TIME, "description": "When the person confirmed."},
            "status": {"enum": ["pending", "confirmed", "invalidated", "duplicate"]},
            "origin_system": {"type": "string"},
            "referrer_data": {
                "type": "object",
                "properties": {"source": {"type": ["string", "null"]}},
            },
            "person": _ref("Person"),
            "_links": LINKS,
        },
    },
    "DeletedSignature": {
        "type": "object",
        "required": ["identifiers", "deleted_date"],
        "properties": {
            "identifiers": {"type": "array", "items": {"type": "string"}},
            "deleted_date": {"type": "string", "format": "date-time"},
        },
    },
    "PetitionCollection": {
        "type": "object",
        "required": ["total_records", "_embedded"],
        "properties": {
            **PAGE_FIELDS,
            "_embedded": {
                "type": "object",
                "properties": {"osdi:petitions": {"type": "array", "items": _ref("Petition")}},
            },
        },
    },
    "SignatureCollection": {
        "type": "object",
        "required": ["total_records", "_embedded"],
        "properties": {
            **PAGE_FIELDS,
            "_embedded": {
                "type": "object",
                "properties": {"osdi:signatures": {"type": "array", "items": _ref("Signature")}},
            },
        },
    },
    "DeletedSignatureCollection": {
        "type": "object",
        "required": ["total_records", "_embedded"],
        "properties": {
            **PAGE_FIELDS,
            "_embedded": {
                "type": "object",
                "properties": {
                    "campaign:deleted_signatures": {
                        "type": "array",
                        "items": _ref("DeletedSignature"),
                    }
                },
            },
        },
    },
    "RecordSignature": {
        "type": "object",
        "required": ["person"],
        "properties": {
            "person": {
                "type": "object",
                "required": ["given_name", "family_name", "email_addresses", "postal_addresses"],
                "properties": {
                    "given_name": {"type": "string", "maxLength": 100},
                    "family_name": {"type": "string", "maxLength": 100},
                    "email_addresses": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "address": {"type": "string", "format": "email"},
                                "primary": {"type": "boolean"},
                                "status": {
                                    "enum": ["subscribed", "unsubscribed"],
                                    "description": "`subscribed` only if the person asked "
                                    "for news.",
                                },
                            },
                        },
                    },
                    "postal_addresses": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "postal_code": {"type": "string", "maxLength": 16},
                                "country": {
                                    "type": "string",
                                    "description": "ISO 3166-1 alpha-2",
                                },
                            },
                        },
                    },
                    "languages_spoken": {"type": "array", "items": {"type": "string"}},
                    "custom_fields": {
                        "type": "object",
                        "description": "Answers to the petition's own questions, by key: "
                        "true/false for a checkbox, the value of a choice, a short text.",
                        "additionalProperties": {"type": ["string", "boolean"]},
                    },
                },
            },
            "referrer_data": {
                "type": "object",
                "properties": {"source": {"type": "string", "maxLength": 32}},
            },
        },
    },
}


def openapi_document(server_url: str) -> dict[str, Any]:
    signatures_get = {
        "summary": "Confirmed signatures (the export's set), or those changed since a time",
        "operationId": "listSignatures",
        "parameters": [SLUG, *PAGE, CURSOR, FILTER],
        "responses": {
            "200": _hal("A page of signatures.", "SignatureCollection"),
            "400": _problem("A parameter the API cannot use."),
            "404": _problem("No such petition for this key."),
            **ERRORS,
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Campaign petitions API (OSDI)",
            "version": "1.0.0",
            "description": "Petitions and their signatures in OSDI 1.x shapes (HAL+JSON). "
            "See docs/api.md.",
        },
        "servers": [{"url": server_url}],
        "security": [{"osdiToken": []}, {"bearer": []}],
        "components": {
            "securitySchemes": {
                "osdiToken": {"type": "apiKey", "in": "header", "name": "OSDI-API-Token"},
                "bearer": {"type": "http", "scheme": "bearer"},
            },
            "schemas": SCHEMAS,
        },
        "paths": {
            "/": {
                "get": {
                    "summary": "The entry point: links to the collections (no key needed)",
                    "operationId": "root",
                    "security": [],
                    "responses": {"200": _hal("Links.", "Root")},
                }
            },
            "/openapi.json": {
                "get": {
                    "summary": "This document (no key needed)",
                    "operationId": "openapi",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "OpenAPI 3.1",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
            "/petitions": {
                "get": {
                    "summary": "The petitions this key may see",
                    "operationId": "listPetitions",
                    "parameters": PAGE,
                    "responses": {
                        "200": _hal("A page of petitions.", "PetitionCollection"),
                        "400": _problem("A parameter the API cannot use."),
                        **ERRORS,
                    },
                }
            },
            "/petitions/{slug}": {
                "get": {
                    "summary": "One petition",
                    "operationId": "getPetition",
                    "parameters": [SLUG],
                    "responses": {
                        "200": _hal("The petition.", "Petition"),
                        "404": _problem("No such petition for this key."),
                        **ERRORS,
                    },
                }
            },
            "/petitions/{slug}/signatures": {
                "get": signatures_get,
                "post": {
                    "summary": "Record a signature (OSDI's record-signature helper)",
                    "description": "Makes a pending signature and emails the person a "
                    "confirmation link, in their language; it counts once they confirm.",
                    "operationId": "recordSignature",
                    "parameters": [SLUG],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("RecordSignature")}},
                    },
                    "responses": {
                        "201": _hal("A new pending signature.", "Signature"),
                        "200": _hal(
                            "This address had signed: the signature as it is.", "Signature"
                        ),
                        "400": _problem("The body is not JSON."),
                        "403": _problem("The key is read-only."),
                        "404": _problem("No such petition for this key."),
                        "409": _problem("The petition is not taking signatures."),
                        "413": _problem("The body is too large."),
                        "415": _problem("The body is not application/json."),
                        "422": _problem("Field errors."),
                        **ERRORS,
                    },
                },
            },
            "/petitions/{slug}/deleted_signatures": {
                "get": {
                    "summary": "Signatures a syncing CRM must delete (identifiers only)",
                    "operationId": "listDeletedSignatures",
                    "parameters": [SLUG, *PAGE, CURSOR, FILTER],
                    "responses": {
                        "200": _hal("A page of deleted signatures.", "DeletedSignatureCollection"),
                        "400": _problem("A parameter the API cannot use."),
                        "404": _problem("No such petition for this key."),
                        **ERRORS,
                    },
                }
            },
        },
    }

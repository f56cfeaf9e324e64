"""The payload: the versioned schema, as compact UTF-8 JSON."""

from __future__ import annotations

import json

from stageborging import Contact, Delivery

from stageborging_webhook import PAYLOAD_TYPE, PAYLOAD_VERSION, encode, payload


def delivery(**changes: object) -> Delivery:
    given: dict[str, object] = {
        "key": "s-1:2:test:0/coach-1", "entry": "s-1:2:test:0", "kind": "guidance.missed",
        "channel": "webhook", "stream_id": "s-1", "recipient": "coach-1", "role": "coach",
        "params": {"step": "midterm", "due": "2027-02-01"},
        "contact": Contact("coach-1", "Zoë de Wit", "https://sis.example/s/1"),
        "subject": "Gemist: midterm", "body": "Beste Zoë de Wit,\n\nHet tussengesprek…",
        "attempt": 3, "created_at": "2027-01-10T09:00:00.000000Z",
    }  # fmt: skip
    return Delivery(**(given | changes))  # type: ignore[arg-type]


def test_the_payload_is_the_versioned_schema() -> None:
    assert payload(delivery()) == {
        "type": PAYLOAD_TYPE, "version": PAYLOAD_VERSION, "id": "s-1:2:test:0/coach-1",
        "kind": "guidance.missed", "entry": "s-1:2:test:0", "stream_id": "s-1",
        "recipient": "coach-1", "role": "coach", "language": "nl",
        "subject": "Gemist: midterm", "body": "Beste Zoë de Wit,\n\nHet tussengesprek…",
        "link": "https://sis.example/s/1", "params": {"step": "midterm", "due": "2027-02-01"},
        "attempt": 3, "created_at": "2027-01-10T09:00:00.000000Z",
    }  # fmt: skip
    assert (PAYLOAD_TYPE, PAYLOAD_VERSION) == ("stageborging.notification", 1)


def test_the_body_is_compact_utf8_json_with_its_keys_in_order() -> None:
    body = encode(delivery())
    assert body.startswith(b'{"attempt":3,"body":"Beste Zo\xc3\xab de Wit,\\n\\nHet')
    assert body.endswith(b'"type":"stageborging.notification","version":1}')
    compact = json.dumps(payload(delivery()), ensure_ascii=False, separators=(",", ":"),
                         sort_keys=True)  # fmt: skip
    assert body == compact.encode("utf-8")
    assert encode(delivery()) == body  # the same bytes every time

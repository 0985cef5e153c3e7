"""The capture state machine: happy path, cancel, overrides, poor fingers, exceptions."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

import mrz
from kiosk.lane.pipeline import (
    AlertCheck,
    AlertHit,
    Decision,
    Direction,
    FingerException,
    Pipeline,
    PipelineError,
    Policy,
    State,
)

TD3 = [
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
]
TODAY = dt.date(2026, 11, 23)


class Journal:
    """Keeps what the pipeline seals, in order (the outbox's role, in memory)."""

    def __init__(self) -> None:
        self.records: list[tuple[str, str, str, dict[str, Any]]] = []

    def __call__(self, record_type: str, officer: str, direction: str, body: dict[str, Any]) -> str:
        self.records.append((record_type, officer, direction, body))
        return f"record-{len(self.records)}"

    def of_type(self, record_type: str) -> list[dict[str, Any]]:
        return [body for kind, _, _, body in self.records if kind == record_type]


def valid_passport() -> list[str]:
    return mrz.compose(
        "TD3",
        document_code="P",
        issuing_state="UTO",
        document_number="L898902C3",
        nationality="UTO",
        birth_date="740812",
        sex="F",
        expiry_date="300415",
        surname="ERIKSSON",
        given_names="ANNA MARIA",
    )


@pytest.fixture
def journal() -> Journal:
    return Journal()


@pytest.fixture
def pipeline(journal: Journal) -> Pipeline:
    pipeline = Pipeline(journal, policy=Policy(fingers=(2, 7)), today=lambda: TODAY)
    pipeline.login("anna")
    return pipeline


def test_happy_path_seals_one_traveller_record(pipeline: Pipeline, journal: Journal) -> None:
    pipeline.document_read(valid_passport(), "reader")
    assert all(check.ok for check in pipeline.traveller.checks)
    pipeline.confirm_document()
    assert pipeline.state is State.FACE
    pipeline.face_captured(b"jpeg", {"sharpness": 90}, passed=True, manual_reason=None)
    pipeline.finger_captured(2, b"png-2", 60)
    assert pipeline.state is State.FINGERS
    pipeline.finger_captured(7, b"png-7", 55)
    assert pipeline.state is State.REVIEW
    record_id = pipeline.decide(Decision.ADMIT).record_id
    assert pipeline.state is State.WAITING
    [body] = journal.of_type("traveller")
    assert record_id == "record-2"  # after the login audit record
    assert body["document"]["document_number"] == "L898902C3"
    assert body["decision"] == "admit"
    assert [f["position"] for f in body["fingers"]] == [2, 7]
    assert body["overrides"] == []


def test_cancel_at_any_step_seals_nothing(pipeline: Pipeline, journal: Journal) -> None:
    pipeline.document_read(valid_passport(), "reader")
    pipeline.confirm_document()
    pipeline.face_captured(b"jpeg", {}, passed=True, manual_reason=None)
    pipeline.cancel()
    assert pipeline.state is State.WAITING
    assert journal.of_type("traveller") == []
    assert pipeline.traveller.document is None


def test_expired_document_needs_an_override_reason(pipeline: Pipeline, journal: Journal) -> None:
    pipeline.document_read(TD3, "reader")  # the specimen expired in 2012
    expiry = next(c for c in pipeline.traveller.checks if c.name == "expiry")
    assert not expiry.ok and "expired" in expiry.message
    with pytest.raises(PipelineError, match="expiry failed"):
        pipeline.confirm_document()
    pipeline.confirm_document(override_reason="humanitarian entry")
    [audit] = [b for b in journal.of_type("audit") if b["event"] == "override"]
    assert audit["reason"] == "humanitarian entry"
    assert pipeline.traveller.overrides[0]["step"] == "document"


def test_malformed_mrz_changes_nothing(pipeline: Pipeline) -> None:
    with pytest.raises(mrz.MRZError):
        pipeline.document_read(["P<UTO", "garbage"], "reader")
    assert pipeline.state is State.WAITING


def test_poor_finger_is_retried_best_kept_and_never_taken_without_a_reason(
    pipeline: Pipeline, journal: Journal
) -> None:
    pipeline.document_read(valid_passport(), "manual")
    pipeline.confirm_document()
    pipeline.face_captured(b"jpeg", {}, passed=True, manual_reason=None)
    first = pipeline.finger_captured(2, b"poor", 10)
    assert pipeline.pending_fingers == [2, 7]
    pipeline.finger_captured(2, b"better", 20)
    pipeline.finger_captured(2, b"worse", 5)
    assert first.attempts == 3 and first.best_score == 20 and first.image == b"better"
    # Tries used up: the same rule as before the last one, a poor print needs a reason.
    assert pipeline.pending_fingers == [2, 7] and pipeline.tries_left(first) == 0
    assert pipeline.poor_finger() is first
    pipeline.accept_poor_finger(2, "worn ridges")
    assert pipeline.pending_fingers == [7] and pipeline.poor_finger() is None
    [override] = [b for b in journal.of_type("audit") if b["event"] == "override"]
    assert override["reason"] == "worn ridges" and override["position"] == "2"


def test_refusal_needs_a_configured_ground(pipeline: Pipeline, journal: Journal) -> None:
    from kiosk.lane.policy import SCHENGEN_GROUNDS

    pipeline.document_read(valid_passport(), "reader")
    pipeline.confirm_document()
    pipeline.face_exception("camera out of order")
    pipeline.finger_exception(2, FingerException.BANDAGED)
    pipeline.finger_exception(7, FingerException.BANDAGED)
    with pytest.raises(PipelineError, match="ground"):
        pipeline.decide(Decision.REFUSE)
    with pytest.raises(PipelineError, match="ground"):
        pipeline.decide(Decision.REFUSE, ("Z", "made up"))
    with pytest.raises(PipelineError, match="only a refusal"):
        pipeline.decide(Decision.ADMIT, SCHENGEN_GROUNDS[0])
    saved = pipeline.decide(Decision.REFUSE, SCHENGEN_GROUNDS[7])
    assert saved.line().startswith(
        "saved: ERIKSSON Anna Maria, P UTO L898902C3, REFUSED on ground H"
    )
    [body] = journal.of_type("traveller")
    assert body["refusal_ground"]["code"] == "H" and "alert" in body["refusal_ground"]["text"]


def test_cancel_is_audited_with_the_step_and_document(pipeline: Pipeline, journal: Journal) -> None:
    pipeline.document_read(valid_passport(), "reader")
    pipeline.confirm_document()
    pipeline.cancel()
    pipeline.logout()
    events = journal.of_type("audit")
    assert [e["event"] for e in events] == ["login", "cancelled", "logout"]
    assert events[1]["step"] == "face"
    assert events[1]["document"] == "ERIKSSON Anna Maria, P UTO L898902C3"
    assert journal.of_type("traveller") == []


def test_finger_exception_is_recorded(pipeline: Pipeline, journal: Journal) -> None:
    pipeline.document_read(valid_passport(), "camera")
    pipeline.confirm_document()
    pipeline.face_captured(b"jpeg", {}, passed=True, manual_reason=None)
    pipeline.finger_exception(2, FingerException.BANDAGED)
    pipeline.finger_captured(7, b"png", 80)
    pipeline.decide(Decision.REFER)
    [body] = journal.of_type("traveller")
    assert body["fingers"][0]["exception"] == "bandaged"
    assert body["decision"] == "refer"


def test_manual_face_capture_is_flagged(pipeline: Pipeline) -> None:
    pipeline.document_read(valid_passport(), "reader")
    pipeline.confirm_document()
    pipeline.face_captured(b"dark", {}, passed=False, manual_reason=None)
    assert pipeline.state is State.FACE
    pipeline.face_captured(b"dark", {}, passed=False, manual_reason="glasses cannot be removed")
    assert pipeline.traveller.face_override == "glasses cannot be removed"
    assert pipeline.state is State.FINGERS


def test_no_portrait_needs_a_reason_and_is_an_override(
    pipeline: Pipeline, journal: Journal
) -> None:
    pipeline.document_read(valid_passport(), "reader")
    pipeline.confirm_document()
    with pytest.raises(PipelineError, match="reason"):
        pipeline.face_exception("")
    pipeline.face_exception("camera out of order")
    assert pipeline.state is State.FINGERS
    assert pipeline.traveller.portrait is None
    assert pipeline.traveller.overrides == [
        {"step": "face", "reason": "camera out of order", "portrait": "none"}
    ]
    assert journal.of_type("audit")[-1]["step"] == "face"


def test_direction_switch_and_audit_trail(journal: Journal) -> None:
    pipeline = Pipeline(journal, today=lambda: TODAY)
    with pytest.raises(PipelineError):
        pipeline.document_read(valid_passport(), "reader")  # nobody logged in
    pipeline.login("anna")
    pipeline.toggle_direction()
    assert pipeline.direction is Direction.EXIT
    pipeline.device_fault("fingerprint", "unplugged")
    pipeline.logout()
    events = [body["event"] for body in journal.of_type("audit")]
    assert events == ["login", "direction", "device fault", "logout"]


def test_lane_without_capture_devices_goes_from_document_to_review(journal: Journal) -> None:
    pipeline = Pipeline(journal, policy=Policy(face=False, fingers=()), today=lambda: TODAY)
    pipeline.login("anna")
    pipeline.document_read(valid_passport(), "reader")
    pipeline.confirm_document()
    assert pipeline.state is State.REVIEW
    pipeline.decide(Decision.ADMIT)
    assert journal.of_type("traveller")[0]["portrait"] is None


@pytest.mark.parametrize(
    ("section", "line", "problem"),
    [
        ("[ui]", 'idle_lock_minutes = "five"', "idle_lock_minutes: 'five'"),
        ("[policy]", "fingers = 5", "fingers: 5 is the wrong type"),
        ("[policy]", "fingers = [2, 2]", "distinct"),
        ("[policy]", 'refusal_grounds = [["A"]]', "refusal_grounds: ['A']"),
        ("[policy]", "fingerz = [2]", "fingerz: unknown key"),
        ("[quality]", "finger_nfiq2_min = 101", "finger_nfiq2_min: 101"),
    ],
)
def test_policy_settings_are_validated_with_file_and_line(
    tmp_path: Any, section: str, line: str, problem: str
) -> None:
    from kiosk import config as config_module
    from kiosk.config import ConfigError
    from kiosk.lane.policy import Policy

    path = tmp_path / "kiosk.toml"
    path.write_text(
        '[kiosk]\nid = "K-1"\npost = "P-1"\n[keys]\ncentral_public_key = "c.pub"\n'
        f'[forward]\ntransport = "dir"\n[forward.dir]\npath = "/tmp"\n{section}\n{line}\n'
    )
    with pytest.raises(ConfigError, match=f"kiosk.toml:11: .*{re.escape(problem)}"):
        Policy.from_config(config_module.load(path))


def test_policy_has_one_default_per_setting(tmp_path: Any) -> None:
    from kiosk import config as config_module
    from kiosk.lane.policy import SCHENGEN_GROUNDS, Policy

    path = tmp_path / "kiosk.toml"
    path.write_text(
        '[kiosk]\nid = "K-1"\npost = "P-1"\n[keys]\ncentral_public_key = "c.pub"\n'
        '[forward]\ntransport = "dir"\n[forward.dir]\npath = "/tmp"\n'
    )
    assert Policy.from_config(config_module.load(path)) == Policy()
    assert Policy().finger_threshold == 40 and Policy().refusal_grounds == SCHENGEN_GROUNDS
    assert [code for code, _ in SCHENGEN_GROUNDS] == list("ABCDEFGHIJ")
    lane = Policy.from_config(config_module.load(path), {"mrz"})
    assert lane.face is False and lane.fingers == ()


def to_review_with(pipeline: Pipeline, chip_portrait: bytes | None) -> None:
    pipeline.document_read(valid_passport(), "reader")
    if chip_portrait is not None:
        pipeline.chip_read({"verdict": "genuine", "reason": ""}, chip_portrait)
    pipeline.confirm_document()
    pipeline.face_captured(b"live", {"capture": "auto"}, passed=True, manual_reason=None)
    pipeline.finger_captured(2, b"png-2", 60)
    pipeline.finger_captured(7, b"png-7", 55)
    assert pipeline.state is State.REVIEW


NO_MATCH = {
    "decision": "no match",
    "reason": "",
    "score_milli": 322,
    "distance_milli": 678,
    "threshold_milli": 400,
    "model": "dlib_face_recognition_resnet_model_v1",
}


def test_a_face_that_does_not_match_the_chip_portrait_needs_a_reason_to_decide(
    pipeline: Pipeline, journal: Journal
) -> None:
    to_review_with(pipeline, b"dg2-jpeg")
    assert pipeline.face_reference() == ("chip", b"dg2-jpeg")
    assert pipeline.face_match_pending
    with pytest.raises(PipelineError, match="still running"):
        pipeline.decide(Decision.ADMIT)
    pipeline.face_compared(NO_MATCH)
    with pytest.raises(PipelineError, match=r"does NOT match.*reason"):
        pipeline.decide(Decision.ADMIT)
    with pytest.raises(PipelineError, match="reason"):
        pipeline.confirm_face("")
    pipeline.confirm_face("old photo, same scar on the chin")
    pipeline.decide(Decision.ADMIT)
    [body] = journal.of_type("traveller")
    assert body["face_match"] == {
        "reference": "chip",
        **NO_MATCH,
        "officer_reason": "old photo, same scar on the chin",
    }
    assert body["overrides"] == [
        {"step": "face match", "reason": "old photo, same scar on the chin", "decision": "no match"}
    ]


def test_a_match_needs_nothing_and_no_reference_is_recorded_as_such(
    pipeline: Pipeline, journal: Journal
) -> None:
    to_review_with(pipeline, b"dg2-jpeg")
    pipeline.face_compared({**NO_MATCH, "decision": "match", "score_milli": 610})
    assert pipeline.face_match_unresolved() is None
    with pytest.raises(PipelineError, match="no face comparison to confirm"):
        pipeline.confirm_face("why not")
    pipeline.decide(Decision.ADMIT)
    to_review_with(pipeline, None)  # no chip, no imaged page
    assert not pipeline.face_match_pending
    pipeline.decide(Decision.ADMIT)
    first, second = journal.of_type("traveller")
    assert first["face_match"]["decision"] == "match"
    assert second["face_match"] == {"reference": "none", "decision": "no reference"}


def test_the_data_page_photo_is_the_reference_when_the_chip_gave_none(
    pipeline: Pipeline,
) -> None:
    pipeline.document_read(valid_passport(), "reader")
    pipeline.page_imaged(b"page-photo")
    assert pipeline.face_reference() == ("page", b"page-photo")
    pipeline.chip_read({"verdict": "genuine", "reason": ""}, b"dg2")
    assert pipeline.face_reference() == ("chip", b"dg2")


def test_a_comparison_that_found_no_face_needs_the_officer_too(pipeline: Pipeline) -> None:
    to_review_with(pipeline, b"dg2-jpeg")
    pipeline.face_compared({"decision": "no face", "reason": "no face in the document portrait"})
    unresolved = pipeline.face_match_unresolved()
    assert unresolved is not None and "no face in the document portrait" in unresolved
    with pytest.raises(PipelineError, match="confirm with a reason"):
        pipeline.decide(Decision.REFER)


def listed(action: str) -> AlertCheck:
    hit = AlertHit("SLTD", "R-1", "document", action, 100, ["document number listed"], "", {})
    return AlertCheck(7, 2, None, [hit])


def test_each_alert_hit_needs_a_resolution_with_a_reason_before_deciding(
    pipeline: Pipeline, journal: Journal
) -> None:
    pipeline.alert_check = True
    to_review_with(pipeline, None)
    with pytest.raises(PipelineError, match="alert list check has not come back"):
        pipeline.decide(Decision.REFER)
    pipeline.alerts_checked(listed("refer"))
    [hit] = pipeline.unresolved_hits()
    with pytest.raises(PipelineError, match="1 alert hit"):
        pipeline.decide(Decision.REFER)
    with pytest.raises(PipelineError, match="not 'maybe'"):
        pipeline.resolve_hit(hit, "maybe", "why")
    with pytest.raises(PipelineError, match="reason"):
        pipeline.resolve_hit(hit, "not the same person", "")
    pipeline.resolve_hit(hit, "not the same person", "born in another year")
    pipeline.decide(Decision.ADMIT)  # a refer hit cleared: no supervisor needed
    [body] = journal.of_type("traveller")
    assert body["alerts"]["list_version"] == 7
    assert body["alerts"]["hits"][0]["resolution"] == "not the same person"
    [audit] = [a for a in journal.of_type("audit") if a["event"] == "alert hit"]
    assert audit["resolution"] == "not the same person" and audit["reference"] == "R-1"


def test_a_confirmed_deny_is_admitted_only_with_a_supervisor(
    pipeline: Pipeline, journal: Journal
) -> None:
    pipeline.alert_check = True
    to_review_with(pipeline, None)
    pipeline.alerts_checked(listed("deny"))
    [hit] = pipeline.unresolved_hits()
    pipeline.resolve_hit(hit, "confirmed", "number matches")
    with pytest.raises(PipelineError, match="supervisor"):
        pipeline.decide(Decision.ADMIT)
    pipeline.supervisor_approved("tech")
    pipeline.decide(Decision.ADMIT)
    [body] = journal.of_type("traveller")
    assert body["alerts"]["hits"][0]["supervisor"] == "tech"
    to_review_with(pipeline, None)
    pipeline.alerts_checked(listed("deny"))
    pipeline.resolve_hit(pipeline.unresolved_hits()[0], "confirmed", "number matches")
    from kiosk.lane.policy import SCHENGEN_GROUNDS

    pipeline.decide(Decision.REFUSE, SCHENGEN_GROUNDS[0])  # refusing needs no supervisor

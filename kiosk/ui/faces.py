"""The face column of the officer's screen: the document's portrait (the chip's DG2, or the
data page's photo) beside the live camera during the face step and beside the captured
portrait afterwards, so the officer sees both faces; under them, what the checks or the
1:1 comparison say. It observes the lane and decides nothing."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from kiosk.lane.capture import Capture
from kiosk.lane.pipeline import State
from kiosk.ui import views
from kiosk.ui.preview import FacePreview

# Steps that show both faces side by side (the fingers step keeps the column narrow for
# the fingers' panel, with the captured portrait alone).
PAIRED = (State.FACE, State.REVIEW)
SHOWN = (State.FACE, State.FINGERS, State.REVIEW)


class FacePanel(Vertical):
    DEFAULT_CSS = """
    FacePanel { border: round $secondary; height: 1fr; }
    FacePanel #face-pair { height: auto; }
    FacePanel .face-side { width: 1fr; height: auto; }
    FacePanel #reference-side { margin-right: 1; }
    FacePanel .face-label { height: 1; color: $text-muted; text-style: bold; }
    FacePanel #face-status { height: auto; max-height: 6; }
    """

    def __init__(self, capture: Capture, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.capture = capture
        self._shown: tuple[Any, ...] | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="face-pair"):
            with Vertical(id="reference-side", classes="face-side"):
                yield Static("document", id="reference-label", classes="face-label")
                yield FacePreview(id="reference")
            with Vertical(id="live-side", classes="face-side"):
                yield Static("live", id="live-label", classes="face-label")
                yield FacePreview(id="preview")
        yield Static("", id="face-status")

    def fit(self, wide: bool) -> None:
        """Each face 40 cells wide at 120 columns and more; smaller at 80x24."""
        paired = self.capture.pipeline.state in PAIRED
        side = 40 if wide else 18
        for reference in self.query("#reference-side"):  # none before the panel is mounted
            reference.display = paired
        self.styles.width = 2 * side + 3 if paired else side + 2
        for preview in self.query(FacePreview):
            preview.styles.height = 25 if wide else 9

    def show_frame(self, image: Any, box: tuple[int, int, int, int] | None) -> None:
        self.query_one("#preview", FacePreview).show_frame(image, box, bgr=True)

    def refresh_faces(self, wide: bool) -> bool:
        """Redraw for the lane's state; False when the column is not shown now."""
        capture, pipeline = self.capture, self.capture.pipeline
        state, face = pipeline.state, capture.face
        self.display = capture.pipeline.policy.face and state in SHOWN
        if not self.display or not self.query("#face-status"):  # (not mounted yet)
            return False
        self.fit(wide)
        status = views.face_status(face, state)
        if state is not State.FACE:
            status = views.match_line(pipeline) + ("\n" + status if status else "")
        self.query_one("#face-status", Static).update(status)
        self.query_one("#live-label", Static).update(
            "live camera" if state is State.FACE else "captured"
        )
        self.query_one("#reference-label", Static).update(views.reference_label(capture))
        reference = capture.reference
        thumb = reference.thumbnail if reference is not None else None
        ready = reference is not None and reference.ready.is_set()
        shown = (face.session, state is State.FACE, id(reference), ready)
        if shown == self._shown:
            return True
        self._shown = shown
        mine = self.query_one("#reference", FacePreview)
        if thumb is not None:
            mine.show_frame(thumb, None, bgr=False)
        else:
            mine.clear(views.reference_placeholder(capture))
        preview = self.query_one("#preview", FacePreview)
        if state is State.FACE:
            preview.clear("waiting for the camera")
        elif face.thumbnail is not None and pipeline.traveller.portrait:
            preview.show_frame(face.thumbnail, None, bgr=False)
        else:
            preview.clear("no portrait")
        return True

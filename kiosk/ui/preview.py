"""The live face preview: camera frames drawn with half-block characters.

Each cell shows two pixels, the upper one as the foreground colour of "▀" and the lower
one as the background, so any terminal with colour (tmux, the Linux console, Textual's
pilot) shows the picture; no graphics protocol is needed. The picture is the part of the
frame around the face (portrait-shaped, like the token the record keeps), scaled to the
widget's size. Only this widget is redrawn per frame.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

HALF_BLOCK = "▀"


class FacePreview(Widget):
    """Shows the newest frame (BGR) or a still picture (RGB), cropped around a face box."""

    DEFAULT_CSS = """
    FacePreview { width: 1fr; height: 1fr; min-height: 6; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._strips: list[Strip] = []
        self._styles: dict[tuple[int, int, int, int, int, int], Style] = {}
        self._last: tuple[Any, tuple[int, int, int, int] | None, bool] | None = None
        self.placeholder = "no camera picture"

    def show_frame(self, image: Any, box: tuple[int, int, int, int] | None, bgr: bool) -> None:
        """Draw `image` (rows x columns x 3) cropped around `box` (x, y, w, h)."""
        self._last = (image, box, bgr)
        width, rows = self.size.width, self.size.height
        if width < 2 or rows < 2:
            return
        import cv2

        crop = _crop(image, box, width, rows * 2)
        small = cv2.resize(crop, (width, rows * 2), interpolation=cv2.INTER_AREA)
        if bgr:
            small = small[..., ::-1]
        # Quantise to 4 bits per channel: far fewer distinct styles to build and cache.
        q = (np.asarray(small, np.uint8) & 0xF0) | 0x08
        strips = []
        for row in range(rows):
            top, bottom = q[2 * row].tolist(), q[2 * row + 1].tolist()
            pairs = zip(top, bottom, strict=True)
            strips.append(Strip([Segment(HALF_BLOCK, self._style(*t, *b)) for t, b in pairs]))
        self._strips = strips
        self.refresh()

    def on_resize(self) -> None:
        if self._last is not None:
            self.show_frame(*self._last)

    def clear(self, placeholder: str = "no camera picture") -> None:
        self._last = None
        self._strips = []
        self.placeholder = placeholder
        self.refresh()

    def _style(self, r1: int, g1: int, b1: int, r2: int, g2: int, b2: int) -> Style:
        key = (r1, g1, b1, r2, g2, b2)
        style = self._styles.get(key)
        if style is None:
            if len(self._styles) > 20000:
                self._styles.clear()
            style = Style(color=Color.from_rgb(r1, g1, b1), bgcolor=Color.from_rgb(r2, g2, b2))
            self._styles[key] = style
        return style

    def render_line(self, y: int) -> Strip:
        if y < len(self._strips):
            return self._strips[y]
        if not self._strips and y == self.size.height // 2:
            text = self.placeholder[: self.size.width].center(self.size.width)
            return Strip([Segment(text, Style(dim=True))])
        return Strip.blank(self.size.width)


def _crop(image: Any, box: tuple[int, int, int, int] | None, width: int, height: int) -> Any:
    """The region around the face with the widget's aspect (square pixels), in the frame."""
    fh, fw = image.shape[:2]
    aspect = width / height
    if box is not None:
        x, y, w, h = box
        ch = min(fh, int(h * 2.2))
        cx, cy = x + w / 2, y + h / 2
    else:
        ch, cx, cy = fh, fw / 2, fh / 2
    cw = min(fw, int(ch * aspect))
    ch = min(fh, int(cw / aspect))
    x0 = int(np.clip(cx - cw / 2, 0, fw - cw))
    y0 = int(np.clip(cy - ch / 2, 0, fh - ch))
    return image[y0 : y0 + ch, x0 : x0 + cw]

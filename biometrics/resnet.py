"""dlib's face-descriptor ResNet, run with numpy's BLAS instead of dlib's own convolutions.

The `dlib-bin` wheel is built without BLAS, so its network spends ~200-350 ms of one core
on a 150x150 face chip; the same arithmetic as matrix products through the BLAS that numpy
ships takes a fraction of that. The weights are read from the very model file dlib loads
(`dlib_face_recognition_resnet_model_v1.dat`, verified by SHA-256 in `landmarks`), and the
bench and tests check that the descriptors equal dlib's own to float rounding.

The file is dlib's serialization of the network: layers in forward order, each starting
with a length-prefixed version string ("con_4", "affine_", "relu_", "max_pool_2",
"avg_pool_2", "add_prev_", "fc_2", "input_rgb_image_sized"), integers and scalars in dlib's
packed form (a byte holding the length and sign, then little-endian bytes; a real number
as a packed mantissa and a packed binary exponent), tensors as a version, four packed
dimensions and raw little-endian float32. Residual structure is not written out (tags are
invisible), so blocks are recognised by their pattern: convolutions up to an `add_prev`
are one block; an `avg_pool` just before the `add_prev` pools the block's input (a
down-sampling block), whose channels and size may differ from the block's output (dlib
adds such tensors with the missing part taken as zero).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from threadpoolctl import ThreadpoolController

from biometrics import BiometricsError

Array = npt.NDArray[np.float32]

_NAMES = (
    b"input_rgb_image_sized",
    b"con_4",
    b"affine_",
    b"relu_",
    b"max_pool_2",
    b"avg_pool_2",
    b"add_prev_",
    b"fc_2",
)
# A version string as dlib writes it: packed length (one byte: 0x01, then the length), text.
_VERSION = re.compile(b"\x01(.)(" + b"|".join(re.escape(n) for n in _NAMES) + b")", re.DOTALL)


class _Reader:
    def __init__(self, data: bytes, pos: int) -> None:
        self.data, self.pos = data, pos

    def integer(self) -> int:
        head = self.data[self.pos]
        size, negative = head & 0x0F, bool(head & 0x80)
        raw = self.data[self.pos + 1 : self.pos + 1 + size]
        self.pos += 1 + size
        value = int.from_bytes(raw, "little")
        return -value if negative else value

    def real(self) -> float:
        mantissa, exponent = self.integer(), self.integer()
        return float(mantissa) * 2.0**exponent

    def tensor(self) -> Array:
        if self.integer() != 2:
            raise BiometricsError("unexpected tensor version in the face model")
        shape = tuple(self.integer() for _ in range(4))
        count = int(np.prod(shape))
        out = np.frombuffer(self.data, "<f4", count, self.pos).reshape(shape)
        self.pos += 4 * count
        return out.astype(np.float32)

    def alias(self) -> tuple[int, ...]:
        if self.integer() != 1:
            raise BiometricsError("unexpected alias-tensor version in the face model")
        return tuple(self.integer() for _ in range(4))


@dataclass
class _Conv:
    weights: Array  # (filters, channels * rows * cols), affine folded in
    bias: Array  # (filters, 1)
    size: tuple[int, int]
    stride: int
    padding: int


@dataclass
class _Block:
    convs: list[_Conv]  # conv, relu, conv (the relu between them is implied)
    pool: tuple[int, int] | None  # (size, stride) of the shortcut's avg_pool, or None


class DescriptorNet:
    """dlib_face_recognition_resnet_model_v1: a 150x150 RGB face chip -> 128 numbers."""

    def __init__(self, path: Path) -> None:
        data = path.read_bytes()
        layers: list[tuple[str, _Reader]] = [
            (m.group(2).decode(), _Reader(data, m.end()))
            for m in _VERSION.finditer(data)
            if m.group(1)[0] == len(m.group(2))
        ]
        if not layers or layers[0][0] != "input_rgb_image_sized":
            raise BiometricsError(f"{path.name} does not look like dlib's face ResNet")
        r = layers[0][1]
        self.mean = np.array([r.real(), r.real(), r.real()], np.float32).reshape(3, 1, 1)
        self.chip = r.integer()
        self.stem: _Conv | None = None
        self.stem_pool: tuple[int, int, int] = (0, 0, 0)
        self.blocks: list[_Block] = []
        self.fc: Array = np.zeros((0, 0), np.float32)
        pending: list[_Conv] = []
        pool: tuple[int, int] | None = None
        last_conv: _Conv | None = None
        for name, r in layers[1:]:
            if name == "con_4":
                params = r.tensor().ravel()
                filters, rows, cols = r.integer(), r.integer(), r.integer()
                stride_y, _stride_x, pad_y, _pad_x = (
                    r.integer(),
                    r.integer(),
                    r.integer(),
                    r.integer(),
                )
                n, k, fr, fc = r.alias()
                w = params[: n * k * fr * fc].reshape(filters, k * rows * cols)
                b = params[n * k * fr * fc : n * k * fr * fc + filters].reshape(filters, 1)
                last_conv = _Conv(w.copy(), b.copy(), (rows, cols), stride_y, pad_y)
                pending.append(last_conv)
            elif name == "affine_":
                params = r.tensor().ravel()
                if last_conv is None:
                    raise BiometricsError("affine layer without a convolution in the face model")
                half = params.size // 2
                gamma, beta = params[:half].reshape(-1, 1), params[half:].reshape(-1, 1)
                last_conv.weights *= gamma
                last_conv.bias = last_conv.bias * gamma + beta
                last_conv = None
            elif name == "max_pool_2":
                size, _c, stride, _s, pad = (
                    r.integer(),
                    r.integer(),
                    r.integer(),
                    r.integer(),
                    r.integer(),
                )
                self.stem, pending = pending[0], []
                self.stem_pool = (size, stride, pad)
            elif name == "avg_pool_2":
                size, _c, stride = r.integer(), r.integer(), r.integer()
                pool = (size, stride) if size else None  # size 0: average over everything
            elif name == "add_prev_":
                self.blocks.append(_Block(pending, pool))
                pending, pool = [], None
            elif name == "fc_2":
                outputs, inputs = r.integer(), r.integer()
                self.fc = r.tensor().ravel()[: inputs * outputs].reshape(inputs, outputs)
        if self.stem is None or not self.blocks or self.fc.size == 0 or self.chip != 150:
            raise BiometricsError(f"{path.name}: unexpected network layout")
        # The products are small (at most 256 x 2304 by 1225): a second BLAS thread costs
        # more in hand-over than it saves, and on a busy 2-core kiosk (the UI, the camera)
        # it made one descriptor 5-10x slower. One thread, for the duration of a call.
        self._blas = ThreadpoolController()
        # The limit is process-wide: one call at a time, so each restores what it found.
        self._lock = threading.Lock()

    def __call__(self, chip_rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]:
        """The descriptor of one face chip (RGB, `self.chip` pixels square, as
        `dlib.get_face_chip(image, shape, 150, 0.25)` cuts it)."""
        if chip_rgb.shape != (self.chip, self.chip, 3):
            raise BiometricsError(f"face chip must be {self.chip}x{self.chip} RGB")
        with self._lock, self._blas.limit(limits=1, user_api="blas"):
            return self._forward(chip_rgb)

    def _forward(self, chip_rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]:
        x = (chip_rgb.transpose(2, 0, 1).astype(np.float32) - self.mean) / 256.0
        assert self.stem is not None
        x = _relu(_conv(x, self.stem))
        size, stride, pad = self.stem_pool
        x = _max_pool(x, size, stride, pad)
        for block in self.blocks:
            y = _relu(_conv(x, block.convs[0]))
            y = _conv(y, block.convs[1])
            shortcut = x if block.pool is None else _avg_pool(x, *block.pool)
            x = _relu(_add(y, shortcut))
        pooled = x.mean(axis=(1, 2))
        return np.asarray(pooled @ self.fc, dtype=np.float64)


def _conv(x: Array, c: _Conv) -> Array:
    rows, cols = c.size
    if c.padding:
        p = c.padding
        x = np.pad(x, ((0, 0), (p, p), (p, p)))
    channels, h, w = x.shape
    out_h, out_w = 1 + (h - rows) // c.stride, 1 + (w - cols) // c.stride
    win = np.lib.stride_tricks.sliding_window_view(x, (rows, cols), axis=(1, 2))
    win = win[:, : out_h * c.stride : c.stride, : out_w * c.stride : c.stride]
    # (channels, out_h, out_w, rows, cols) -> (channels * rows * cols, out_h * out_w)
    patches = win.transpose(0, 3, 4, 1, 2).reshape(channels * rows * cols, out_h * out_w)
    out = c.weights @ patches
    out += c.bias
    return out.reshape(-1, out_h, out_w)


def _relu(x: Array) -> Array:
    return np.maximum(x, 0, out=x)


def _pool(x: Array, size: int, stride: int) -> npt.NDArray[np.float32]:
    """(channels, out_h, out_w, size, size) windows of a pooling without padding."""
    h, w = x.shape[1:]
    out_h, out_w = 1 + (h - size) // stride, 1 + (w - size) // stride
    win = np.lib.stride_tricks.sliding_window_view(x, (size, size), axis=(1, 2))
    return win[:, : out_h * stride : stride, : out_w * stride : stride]


def _max_pool(x: Array, size: int, stride: int, pad: int) -> Array:
    if pad:
        x = np.pad(x, ((0, 0), (pad, pad), (pad, pad)), constant_values=-np.inf)
    return np.asarray(_pool(x, size, stride).max(axis=(3, 4)))


def _avg_pool(x: Array, size: int, stride: int) -> Array:
    return np.asarray(_pool(x, size, stride).mean(axis=(3, 4)), dtype=np.float32)


def _add(a: Array, b: Array) -> Array:
    """a + b over the larger extent of each axis, the missing part of either taken as 0."""
    if a.shape == b.shape:
        a += b
        return a
    shape = tuple(max(i, j) for i, j in zip(a.shape, b.shape, strict=True))
    out = np.zeros(shape, np.float32)
    out[: a.shape[0], : a.shape[1], : a.shape[2]] += a
    out[: b.shape[0], : b.shape[1], : b.shape[2]] += b
    return out

"""Reading hidden states of a frozen model."""
from meta_lightning.capture.capture import ActivationCapturer, CaptureResult, CaptureStats
from meta_lightning.capture.encode import EncodedText, encode_chat, render_chat
from meta_lightning.capture.layers import resolve_layers
from meta_lightning.capture.positions import parse_positions

__all__ = ["ActivationCapturer", "CaptureResult", "CaptureStats", "EncodedText", "encode_chat",
           "parse_positions", "render_chat", "resolve_layers"]

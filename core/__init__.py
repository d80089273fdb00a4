"""Jiefen core. A plugin needs only ``from core import hookimpl``."""

import os

import pluggy

os.environ.setdefault("PICCOLO_CONF", "core.piccolo_conf")

hookimpl = pluggy.HookimplMarker("jiefen")

__all__ = ["hookimpl"]

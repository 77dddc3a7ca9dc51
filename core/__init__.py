"""The CHERIoT CPU: capability codec, decoder, reference semantics, engine and fast path."""

from .unicorn_build import prefer as _prefer_our_unicorn

_prefer_our_unicorn()  # before any module of this package imports Unicorn

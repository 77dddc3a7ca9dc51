"""Test-wide set-up: quiet logging (warnings only) so test output stays readable."""

from cheriot_gdbserver.logs import configure

configure("warning")

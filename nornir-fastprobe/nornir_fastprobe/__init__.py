"""Nornir plugins for fastprobe (see docs/nornir.md)."""

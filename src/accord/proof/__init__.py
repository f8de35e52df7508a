"""Proof (SPEC §12): the events' hash chain, the signing keys and the signed decision receipts.

Pure functions over bytes and JSON; no store and no clock, so `accord receipt verify` runs anywhere."""

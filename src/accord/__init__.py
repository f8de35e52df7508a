"""Accord: consensus and coordination for teams of AI agents and their humans."""

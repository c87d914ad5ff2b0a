"""Spiders of the PVDN crawler."""

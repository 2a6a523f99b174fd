"""Test helpers shared across suites (given/when/then for deciders, ...)."""

"""Pei County's (沛县, GB/T 2260 320322) family-doctor rules, in plain Python.

Nothing in this package knows about WebAssembly: `app.py` converts between
these rules and the bindings componentize-py generates from the WIT, so the
rules can also be run natively (tests/test_golden.py) against the very golden
cases the kernel runs against the built component.

The rules are the Rust plugin's (plugins/pei-county/, documented in its
README.md); each module names the Rust file it mirrors.

Conventions, chosen so that answers compare directly with the golden files:
- money is int fen (分), never float;
- enums are their snake_case WIT names as str ("township_centre");
- population tags are a frozenset of snake_case names ({"elderly", "stroke"});
- a refusal is raised as `Refused`, not returned.
"""

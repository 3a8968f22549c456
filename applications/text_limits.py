"""How long a section's text is: the one count behind the limits of ``SectionGuidance``.

Pure Python (no Django), used by the server when it saves a section
(``applications.services.bids.save_section``) and by the checklist; the section editor's live
counter (``static/js/section_counter.js``) mirrors it line for line. The rule, as the
applicants read it under the field:

- Line endings are normalised first: ``\\r\\n`` and a lone ``\\r`` each become ``\\n`` (a
  browser sends a form's text with ``\\r\\n`` but shows, and autosaves, ``\\n``).
- **Characters** are Unicode code points of the normalised text: a line break counts 1,
  an accented letter typed as one character counts 1, an emoji outside the Basic Multilingual
  Plane counts 1 (JavaScript: ``Array.from(text).length``, not ``text.length``).
- **Words** are the runs of characters between whitespace, whitespace being exactly
  :data:`WHITESPACE` (the same class in the script; Python's ``str.split()`` and JavaScript's
  ``\\s`` disagree on a few characters, hence the explicit list).
"""

import re

CHARS = "chars"
WORDS = "words"

# Tab, line feed, vertical tab, form feed, carriage return, space, next line, no-break space,
# Ogham space, en quad … hair space, line and paragraph separators, narrow no-break space,
# medium mathematical space, ideographic space. Copied verbatim into section_counter.js.
WHITESPACE = "\t\n\u000b\u000c\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_WORD = re.compile(f"[^{WHITESPACE}]+")
_LINE_ENDING = re.compile(r"\r\n?")


def normalise_line_endings(text: str) -> str:
    """``\\r\\n`` and lone ``\\r`` become ``\\n``: what is stored and what is counted."""
    return _LINE_ENDING.sub("\n", text)


def count_text(text: str, unit: str) -> int:
    """The length of ``text`` in ``unit`` (:data:`CHARS` or :data:`WORDS`), as documented
    above; ``ValueError`` for another unit."""
    normalised = normalise_line_endings(text)
    if unit == CHARS:
        return len(normalised)
    if unit == WORDS:
        return sum(1 for _ in _WORD.finditer(normalised))
    raise ValueError(f"unknown unit {unit!r}")

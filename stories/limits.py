"""Limits on story files: far beyond any real story, low enough that a hostile file costs
little. The seed story is 15 KB, nests 5 deep and has at most 12 items in a section.

`check_file()` runs before a file is read, so an oversized one is never held in memory;
`check_document()` walks what was parsed, without recursion, before anything reads it.
Each refusal names the limit, and the loader names the file.
"""

import os

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_IMAGE_BYTES = 30 * 1024 * 1024  # a hero image shipped beside its story file
MAX_ITEMS = 1000  # in any one list: sources, key points, entries, ...
MAX_TEXT_CHARACTERS = 100_000  # in any one text (a key point's body, a headline, ...)
MAX_DEPTH = 12  # mappings and lists inside one another
# Every value counted, a YAML alias once per use: the loader reads it that many times.
MAX_VALUES = 200_000


class LimitExceeded(Exception):
    def __init__(self, where, message):
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}" if where else message)


def check_file(path):
    size = os.stat(path).st_size
    if size > MAX_FILE_BYTES:
        raise LimitExceeded(
            "",
            f"the file is {size:,} bytes, over the limit of {MAX_FILE_BYTES:,} bytes "
            "for a story file (stories.limits.MAX_FILE_BYTES)",
        )


def too_deep():
    return LimitExceeded(
        "", f"nested deeper than the limit of {MAX_DEPTH} levels (stories.limits.MAX_DEPTH)"
    )


def check_document(data):
    """Refuse the first list, text or nesting in `data` that is over its limit."""
    # Each entry: (value, depth, parent entry, key). A place is spelled out only for the
    # error: formatting one for every value cost a load more than the walk itself.
    stack = [(data, 1, None, None)]
    count = 0
    while stack:
        entry = stack.pop()
        value, depth = entry[0], entry[1]
        count += 1
        if count > MAX_VALUES:
            raise LimitExceeded(
                "",
                f"more than {MAX_VALUES:,} values in one file, over the limit "
                "(stories.limits.MAX_VALUES)",
            )
        if isinstance(value, str):
            if len(value) > MAX_TEXT_CHARACTERS:
                raise LimitExceeded(
                    place(entry),
                    f"{len(value):,} characters, over the limit of {MAX_TEXT_CHARACTERS:,} "
                    "for one text (stories.limits.MAX_TEXT_CHARACTERS)",
                )
            continue
        if not isinstance(value, dict | list):
            continue
        if depth > MAX_DEPTH:
            raise LimitExceeded(place(entry), too_deep().message)
        if len(value) > MAX_ITEMS:
            raise LimitExceeded(
                place(entry),
                f"{len(value):,} items, over the limit of {MAX_ITEMS:,} in one list or "
                "mapping (stories.limits.MAX_ITEMS)",
            )
        items = enumerate(value) if isinstance(value, list) else value.items()
        stack.extend((child, depth + 1, entry, key) for key, child in items)


def place(entry):
    """Where an entry of check_document() stands: key_points[0].body."""
    parts = []
    while entry[2] is not None:
        key = entry[3]
        parts.append(f"[{key}]" if isinstance(key, int) else f".{key}")
        entry = entry[2]
    return "".join(reversed(parts)).removeprefix(".")

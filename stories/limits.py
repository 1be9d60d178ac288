"""Limits on story files: far beyond any real story, low enough that a hostile file costs
little. The seed story is 15 KB, nests 5 deep and has at most 12 items in a section.

`check_file()` runs before a file is read, so an oversized one is never held in memory;
`check_document()` walks what was parsed, without recursion, before anything reads it.
Each refusal names the limit, and the loader names the file.
"""

import os

MAX_FILE_BYTES = 2 * 1024 * 1024
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
    stack = [("", data, 1)]
    count = 0
    while stack:
        where, value, depth = stack.pop()
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
                    where,
                    f"{len(value):,} characters, over the limit of {MAX_TEXT_CHARACTERS:,} "
                    "for one text (stories.limits.MAX_TEXT_CHARACTERS)",
                )
            continue
        if not isinstance(value, dict | list):
            continue
        if depth > MAX_DEPTH:
            raise LimitExceeded(where, too_deep().message)
        if len(value) > MAX_ITEMS:
            raise LimitExceeded(
                where,
                f"{len(value):,} items, over the limit of {MAX_ITEMS:,} in one list or "
                "mapping (stories.limits.MAX_ITEMS)",
            )
        if isinstance(value, list):
            children = ((f"{where}[{i}]", item) for i, item in enumerate(value))
        else:
            children = ((f"{where}.{key}" if where else str(key), v) for key, v in value.items())
        stack.extend((place, child, depth + 1) for place, child in children)

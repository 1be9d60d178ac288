"""The loader's limits (stories/limits.py): a hostile story file is refused quickly, in
bounded memory, with a message naming the file and the limit, never a traceback.

Each refusal runs `manage.py load_stories` in a fresh process that reports its own peak
memory (VmHWM), so what one case allocates cannot hide behind another.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from stories import limits

BASE_DIR = Path(__file__).resolve().parents[2]
SEED = BASE_DIR / "fixtures" / "us-colombia-trump-petro-talks.yaml"
PEAK_LIMIT_MB = 300

# Runs manage.py as usual, then writes the process's peak memory on stdout. The peak is
# VmHWM, the high-water mark of this process's own memory: getrusage's ru_maxrss would
# not do, because Linux carries the parent's peak across fork and exec, so a child of a
# pytest worker that has grown to 350 MB reports at least 350 MB whatever it allocates.
MEASURED = """
import re, runpy, sys
sys.argv = ["manage.py", *sys.argv[1:]]
try:
    runpy.run_path("manage.py", run_name="__main__")
finally:
    status = open("/proc/self/status").read()
    print("PEAK_KB=" + re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1))
"""


def seed():
    return yaml.safe_load(SEED.read_text())


def load_in_a_fresh_process(path, tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "DEBUG": "false",
        "SECRET_KEY": "test-only-secret-key-3f9c1e7a5b2d8c4e6f0a1b3c5d7e9f2a4b6c8d0e",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'untouched.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "-c", MEASURED, "load_stories", str(path)],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    peak_mb = int(result.stdout.rsplit("PEAK_KB=", 1)[1]) / 1024
    return result, peak_mb


def assert_refused(path, tmp_path, limit_name):
    result, peak_mb = load_in_a_fresh_process(path, tmp_path)
    print(f"{path.name}: peak {peak_mb:.0f} MB")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert str(path) in result.stderr  # the file ...
    assert f"stories.limits.{limit_name}" in result.stderr  # ... and the limit
    assert peak_mb < PEAK_LIMIT_MB


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path):
    """The 50 MB document of 570,000 key points: refused without parsing it."""
    path = tmp_path / "huge.yaml"
    point = "- heading: A key point\n  body: Something that happened, said plainly, at length.\n"
    with path.open("w") as out:
        out.write("slug: huge\nheadline: Huge\nkey_points:\n")
        for _ in range(570_000 // 1000):
            out.write(point * 1000)
    assert path.stat().st_size > 45_000_000
    assert_refused(path, tmp_path, "MAX_FILE_BYTES")


@pytest.mark.parametrize("depth", [100_000, 500])
def test_json_nested_deeper_than_the_limit_is_refused(tmp_path, depth):
    path = tmp_path / "deep.json"
    path.write_text('{"slug": "deep", "headline": "Deep", "x": ' + "[" * depth + "]" * depth + "}")
    assert_refused(path, tmp_path, "MAX_DEPTH")


def test_yaml_nested_deeper_than_the_limit_is_refused(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("slug: deep\nx: " + "[" * 50 + "]" * 50 + "\n")
    assert_refused(path, tmp_path, "MAX_DEPTH")


def test_a_section_with_too_many_items_is_refused(tmp_path):
    document = seed()
    document["key_points"] = [
        {"heading": f"Point {n}", "body": "Plain."} for n in range(limits.MAX_ITEMS + 1)
    ]
    path = tmp_path / "many.json"
    path.write_text(json.dumps(document, default=str))
    assert_refused(path, tmp_path, "MAX_ITEMS")


def test_a_text_over_the_length_limit_is_refused(tmp_path):
    document = seed()
    document["key_points"][0]["body"] = "word " * (limits.MAX_TEXT_CHARACTERS // 5 + 1)
    path = tmp_path / "long.yaml"
    path.write_text(yaml.safe_dump(document))
    result, _ = load_in_a_fresh_process(path, tmp_path)
    assert "key_points[0].body" in result.stderr
    assert_refused(path, tmp_path, "MAX_TEXT_CHARACTERS")


def test_yaml_aliases_that_multiply_are_refused(tmp_path):
    """A billion laughs: nine levels of ten aliases each stand for 10⁹ values."""
    lines = ["slug: laughs", 'a0: &a0 ["lol"]']
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 10)]
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(lines) + "\n")
    assert_refused(path, tmp_path, "MAX_VALUES")


def test_the_seed_story_is_far_inside_every_limit():
    document = seed()
    limits.check_file(SEED)
    limits.check_document(document)
    assert SEED.stat().st_size * 50 < limits.MAX_FILE_BYTES

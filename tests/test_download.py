"""Downloads that can be trusted, against an HTTP server on 127.0.0.1.

Each bad case (corrupt, truncated, short, HTML instead of data, fake gzip, 404,
403, slow past the time-out) gets its exact outcome: the URL and the reason in
one :class:`InputError`, the expected number of attempts, and no file left in
the destination folder. Also: retries after a 500, an existing good file kept,
the offline mirror, the registry against ``../shared/data/real/`` and the rule
script and rule file end to end.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from conftest import REPO
from gsattn.download import MIRROR_ENV, RemoteFile, fetch, format_problem, manifest_path, resolve_mirror
from gsattn.io import InputError
from gsattn.sources import load_sources, names_regex, remote_params

SCRIPTS = REPO / "workflow" / "scripts"
REGISTRY = REPO / "resources" / "real_sources.yaml"
FAST = {"timeout": 0.2, "retries": 2, "backoff": 0.001}
GOOD = b">seq1\nACGTACGTAC\n>seq2\nGGGCCCAATT\n"
HTML = b"<!DOCTYPE html>\n<html><body>Rate limit exceeded</body></html>\n"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Server:
    """Routes ``path → list of (status, body, headers, delay)``; the last entry repeats."""

    def __init__(self) -> None:
        self.routes: dict[str, list[tuple[int, bytes, dict, float]]] = {}
        self.hits: dict[str, int] = {}
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server name
                n = server.hits.get(self.path, 0)
                server.hits[self.path] = n + 1
                answers = server.routes.get(self.path, [(404, b"Not Found", {}, 0.0)])
                status, body, headers, delay = answers[min(n, len(answers) - 1)]
                time.sleep(delay)
                self.send_response(status)
                self.send_header("Content-Length", headers.get("Content-Length", str(len(body))))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.handle_error = lambda request, address: None  # a client that timed out hung up
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}{path}"

    def serve(self, path: str, *answers) -> str:
        self.routes[path] = [
            (a[0], a[1], a[2] if len(a) > 2 else {}, a[3] if len(a) > 3 else 0.0) for a in answers
        ]
        return self.url(path)


@pytest.fixture
def server():
    srv = Server()
    srv.thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


def _remote(url: str, data: bytes = GOOD, **kw) -> RemoteFile:
    return RemoteFile(url, _sha(data), len(data), kw.pop("format", "fasta"), kw.pop("mirror_path", None))


def _left(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_good_file_is_downloaded_checked_and_has_a_manifest(server, tmp_path):
    url = server.serve("/good.fa", (200, GOOD))
    dest = tmp_path / "out" / "good.fa"
    manifest = fetch(_remote(url), dest, **FAST)
    assert dest.read_bytes() == GOOD
    record = json.loads(manifest.read_text())
    assert manifest == manifest_path(dest) == tmp_path / "out" / "good.fa.manifest.json"
    assert {k: record[k] for k in ("file", "url", "size", "sha256", "source")} == {
        "file": "good.fa",
        "url": url,
        "size": len(GOOD),
        "sha256": _sha(GOOD),
        "source": "download",
    }
    assert record["date"].endswith("Z") and record["date"][:2] == "20"
    assert _left(dest.parent) == ["good.fa", "good.fa.manifest.json"]
    assert server.hits == {"/good.fa": 1}


def _fails(remote: RemoteFile, dest: Path, *needles: str) -> str:
    with pytest.raises(InputError) as info:
        fetch(remote, dest, **FAST)
    message = str(info.value)
    for needle in needles:
        assert needle in message
    assert _left(dest.parent) == [], "a failed fetch left a file behind"
    return message


def test_corrupt_file_fails_on_its_sha256_and_leaves_nothing(server, tmp_path):
    corrupt = GOOD.replace(b"ACGT", b"ACGA", 1)
    url = server.serve("/corrupt.fa", (200, corrupt))
    message = _fails(_remote(url), tmp_path / "out" / "x.fa", url, "sha256", _sha(corrupt), _sha(GOOD))
    assert "checksum mismatch" in message
    assert server.hits == {"/corrupt.fa": 1}  # a checksum mismatch is not retried


def test_truncated_transfer_is_retried_then_fails_and_leaves_nothing(server, tmp_path):
    url = server.serve("/cut.fa", (200, GOOD[:20], {"Content-Length": str(len(GOOD))}))
    _fails(_remote(url), tmp_path / "out" / "x.fa", url, "truncated", f"got 20 of the {len(GOOD)} bytes")
    assert server.hits == {"/cut.fa": 3}


def test_complete_transfer_of_the_wrong_size_fails_on_the_size(server, tmp_path):
    url = server.serve("/short.fa", (200, GOOD[:20]))
    _fails(_remote(url), tmp_path / "out" / "x.fa", url, f"size is 20 bytes, expected {len(GOOD)}")
    assert server.hits == {"/short.fa": 1}


def test_html_page_instead_of_data_is_named(server, tmp_path):
    url = server.serve("/page.fa", (200, HTML))
    _fails(_remote(url), tmp_path / "out" / "x.fa", url, "is an HTML page, not fasta data")


@pytest.mark.parametrize(
    ("body", "fmt", "reason"),
    [
        (b"  \n<html><head>", "tsv", "is an HTML page"),
        (b'<?xml version="1.0"?><Error>', "csv", "is an XML document"),
        (b"ACGT\n", "fasta", "is not FASTA"),
        (b">a\nAC\x00GT\n", "fasta", "holds binary data"),
        (b"", "text", "is empty"),
        (b"plain text, not gzip", "gzip", "is not gzip-compressed"),
    ],
)
def test_format_problems(body, fmt, reason):
    assert reason in format_problem(body, fmt)


def test_good_heads_pass():
    assert format_problem(b"\xef\xbb\xbf>a\nACGT\n", "fasta") is None
    assert format_problem(b"sequence\tlabel\r\n", "tsv") is None
    assert format_problem(gzip.compress(b"x"), "gzip") is None


def test_gzip_declared_file_is_checked_by_magic_bytes_and_to_its_end(server, tmp_path):
    packed = gzip.compress(GOOD * 50)
    good = server.serve("/good.gz", (200, packed))
    fetch(_remote(good, packed, format="gzip"), tmp_path / "ok" / "good.gz", **FAST)
    assert gzip.decompress((tmp_path / "ok" / "good.gz").read_bytes()) == GOOD * 50
    fake = server.serve("/fake.gz", (200, GOOD))
    _fails(_remote(fake, GOOD, format="gzip"), tmp_path / "a" / "x.gz", fake, "not gzip-compressed")
    cut = packed[: len(packed) // 2]  # pinned as it is: only the gzip check can see it
    url = server.serve("/cut.gz", (200, cut))
    _fails(_remote(url, cut, format="gzip"), tmp_path / "b" / "x.gz", url, "gzip data ends early")


@pytest.mark.parametrize("status", [404, 403])
def test_missing_or_forbidden_fails_at_once_without_retries(server, tmp_path, status):
    url = server.serve("/gone.fa", (status, b"<html>nope</html>"))
    _fails(_remote(url), tmp_path / "out" / "x.fa", url, f"HTTP {status}", "not retried")
    assert server.hits == {"/gone.fa": 1}


def test_slow_server_times_out_after_the_retries(server, tmp_path):
    url = server.serve("/slow.fa", (200, GOOD, {}, 0.6))
    start = time.monotonic()
    _fails(_remote(url), tmp_path / "out" / "x.fa", url, "failed after 3 attempts", "timed out after 0.2 s")
    assert time.monotonic() - start < 2.5
    assert server.hits == {"/slow.fa": 3}


def test_transient_500_then_good_succeeds_after_one_retry(server, tmp_path, caplog):
    url = server.serve("/flaky.fa", (500, b"oops"), (200, GOOD))
    fetch(_remote(url), tmp_path / "x.fa", **FAST)
    assert (tmp_path / "x.fa").read_bytes() == GOOD
    assert server.hits == {"/flaky.fa": 2}
    assert "HTTP 500" in caplog.text and "retrying" in caplog.text


def test_connection_refused_is_retried_then_named(tmp_path):
    srv = Server()  # bound, never served, then closed: nothing listens on the port
    url = srv.url("/x.fa")
    srv.httpd.server_close()
    _fails(_remote(url), tmp_path / "out" / "x.fa", url, "failed after 3 attempts", "connection failed")


def test_existing_good_file_is_kept_and_not_fetched(server, tmp_path):
    url = server.serve("/good.fa", (200, GOOD))
    dest = tmp_path / "good.fa"
    dest.write_bytes(GOOD)
    os.utime(dest, (1_000_000_000, 1_000_000_000))
    inode = dest.stat().st_ino
    manifest = fetch(_remote(url), dest, **FAST)
    assert server.hits == {}
    assert (dest.stat().st_ino, dest.stat().st_mtime) == (inode, 1_000_000_000)
    assert json.loads(manifest.read_text())["source"] == "existing file"
    before = manifest.read_text()
    fetch(_remote(url), dest, **FAST)  # a second call touches nothing
    assert manifest.read_text() == before and server.hits == {}


def test_existing_wrong_file_stops_and_is_not_overwritten(server, tmp_path):
    url = server.serve("/good.fa", (200, GOOD))
    dest = tmp_path / "good.fa"
    dest.write_bytes(b">old\nAAAA\n")
    with pytest.raises(InputError, match="already exists with sha256 .* not overwritten") as info:
        fetch(_remote(url), dest, **FAST)
    assert str(dest) in str(info.value) and url in str(info.value)
    assert dest.read_bytes() == b">old\nAAAA\n"
    assert server.hits == {} and _left(tmp_path) == ["good.fa"]


@pytest.fixture
def mirror(tmp_path):
    folder = tmp_path / "mirror"
    (folder / "set").mkdir(parents=True)
    (folder / "set" / "good.fa").write_bytes(GOOD)
    return folder


def test_mirror_file_is_copied_with_a_manifest_naming_the_mirror(server, tmp_path, mirror):
    url = server.serve("/good.fa", (200, GOOD))
    dest = tmp_path / "out" / "good.fa"
    record = json.loads(fetch(_remote(url, mirror_path="set/good.fa"), dest, mirror=mirror).read_text())
    assert dest.read_bytes() == GOOD and server.hits == {}
    assert record["source"] == f"mirror: {mirror / 'set' / 'good.fa'}"
    assert (record["url"], record["sha256"], record["size"]) == (url, _sha(GOOD), len(GOOD))


def test_mirror_file_with_a_wrong_checksum_fails(tmp_path, mirror):
    (mirror / "set" / "good.fa").write_bytes(GOOD.replace(b"A", b"C", 1))
    remote = _remote("https://example.org/good.fa", mirror_path="set/good.fa")
    with pytest.raises(InputError, match=r"sha256 .* \(checksum mismatch\)") as info:
        fetch(remote, tmp_path / "out" / "good.fa", mirror=mirror)
    assert str(info.value).startswith(
        f"{mirror / 'set' / 'good.fa'} (mirror of https://example.org/good.fa): "
    )
    assert _left(tmp_path / "out") == []


def test_file_missing_from_the_mirror_is_an_error_not_a_download(server, tmp_path, mirror):
    url = server.serve("/good.fa", (200, GOOD))
    with pytest.raises(InputError, match="not in the offline mirror"):
        fetch(_remote(url, mirror_path="set/other.fa"), tmp_path / "out" / "x.fa", mirror=mirror)
    assert server.hits == {} and _left(tmp_path / "out") == []


def test_mirror_choice_config_then_environment_then_none(tmp_path):
    assert resolve_mirror("/cfg", {MIRROR_ENV: "/env"}) == Path("/cfg")
    assert resolve_mirror(None, {MIRROR_ENV: "/env"}) == Path("/env")
    assert resolve_mirror(None, {MIRROR_ENV: ""}) is None
    assert resolve_mirror(None, {}) is None


# The registry -------------------------------------------------------------


def _mirror_root() -> Path:
    return Path(os.environ.get(MIRROR_ENV) or REPO.parent / "shared" / "data" / "real")


def test_registry_pins_every_url_to_a_commit():
    sources = load_sources(REGISTRY)
    assert {s: len(f) for s, f in sources.items()} == {"ienhancer2l": 8, "epd_promoters": 13, "epd_core": 1}
    for files in sources.values():
        for remote in files.values():
            owner, repo, commit, *path = remote.url.removeprefix("https://raw.githubusercontent.com/").split(
                "/"
            )
            assert remote.url.startswith("https://raw.githubusercontent.com/") and path, remote.url
            assert len(commit) == 40 and set(commit) <= set("0123456789abcdef"), remote.url


def test_registry_matches_the_mirror_files():
    root = _mirror_root()
    if not root.is_dir():
        pytest.skip(f"no real-data mirror at {root}")
    sources = load_sources(REGISTRY)
    listed = set()
    for files in sources.values():
        for remote in files.values():
            path = root / remote.mirror_path
            assert path.stat().st_size == remote.size, remote.mirror_path
            assert _sha(path.read_bytes()) == remote.sha256, remote.mirror_path
            listed.add(remote.mirror_path)
    on_disk = {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and p.suffix != ".md"}
    assert on_disk - listed == {"epd_prom_core/prom_core_test_plain.csv"}  # derived here, no URL


def test_registry_matches_the_provenance_checksums():
    root = _mirror_root()
    if not root.is_dir():
        pytest.skip(f"no real-data mirror at {root}")
    for files in load_sources(REGISTRY).values():
        for remote in files.values():
            folder, name = remote.mirror_path.split("/", 1)
            assert f"{remote.sha256}  {name}\n" in (root / folder / "PROVENANCE.md").read_text(), name


def _registry_text(**changes) -> dict:
    entry = {
        "url": "https://x.org/a.fa",
        "sha256": "0" * 64,
        "size": 3,
        "format": "fasta",
        "mirror": "s/a.fa",
    }
    return {"sources": {"s": {"description": "d", "files": {"a.fa": entry | changes}}}}


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"sha256": "ABC"}, "sources.s.files.a.fa.sha256: 'ABC' is not 64 lower-case hex digits"),
        ({"size": "3"}, "sources.s.files.a.fa.size: '3' is not a positive integer"),
        ({"format": "zip"}, "sources.s.files.a.fa.format: 'zip' is not one of"),
        ({"url": "ftp://x"}, "sources.s.files.a.fa.url: 'ftp://x' is not an http(s) URL"),
        ({"mirror": "../a.fa"}, "sources.s.files.a.fa.mirror: '../a.fa' is not a relative path"),
        ({"md5": "x"}, "unknown keys ['md5']"),
    ],
)
def test_registry_errors_name_the_file_and_key(tmp_path, changes, reason):
    path = tmp_path / "reg.yaml"
    path.write_text(yaml.safe_dump(_registry_text(**changes)))
    with pytest.raises(InputError) as info:
        load_sources(path)
    assert str(info.value).startswith(f"{path}: ") and reason in str(info.value)


def test_registry_that_is_not_yaml_or_has_no_sources(tmp_path):
    path = tmp_path / "reg.yaml"
    path.write_text("sources: [unclosed\n")
    with pytest.raises(InputError, match="is not valid YAML"):
        load_sources(path)
    path.write_text("files: {}\n")
    with pytest.raises(InputError, match="one top-level key 'sources'"):
        load_sources(path)


def test_names_regex_is_exact():
    import re

    pattern = re.compile(names_regex(["a.fa", "bdgp/x.fa"]))
    assert pattern.fullmatch("bdgp/x.fa") and pattern.fullmatch("a.fa")
    assert not pattern.fullmatch("a.fa.manifest.json") and not pattern.fullmatch("aXfa")
    assert not re.fullmatch(names_regex([]), "")


# The rule script and the rule ------------------------------------------------


def test_rule_script_run_end_to_end(server, tmp_path):
    import download_source

    url = server.serve("/x.fa", (500, b""), (200, GOOD))
    remote = remote_params({"s": {"x.fa": _remote(url)}}, "s", "x.fa")
    assert remote == {
        "url": url,
        "sha256": _sha(GOOD),
        "size": len(GOOD),
        "format": "fasta",
        "mirror_path": None,
    }
    manifest = download_source.run(remote, str(tmp_path / "x.fa"), None, 0.2, 2, 0.001)
    assert (tmp_path / "x.fa").read_bytes() == GOOD
    assert json.loads(Path(manifest).read_text())["source"] == "download"
    assert server.hits == {"/x.fa": 2}


def test_rule_script_main_reads_the_mirror_from_the_environment(tmp_path, mirror, monkeypatch):
    import download_source

    monkeypatch.setenv(MIRROR_ENV, str(mirror))
    remote = remote_params(
        {"s": {"x.fa": _remote("https://example.org/x.fa", mirror_path="set/good.fa")}}, "s", "x.fa"
    )
    out = tmp_path / "res" / "x.fa"
    smk = SimpleNamespace(
        params=SimpleNamespace(remote=remote, mirror=None, timeout=0.2, retries=0),
        output=SimpleNamespace(file=str(out), manifest=str(manifest_path(out))),
        log=[str(tmp_path / "log.txt")],
    )
    download_source.main(smk)
    assert out.read_bytes() == GOOD
    assert json.loads(manifest_path(out).read_text())["source"] == f"mirror: {mirror / 'set' / 'good.fa'}"
    assert "from the mirror" in (tmp_path / "log.txt").read_text()


_SNAKEFILE = """
import sys
sys.path.insert(0, {scripts!r})
from local_gsattn import package_modules
from gsattn.sources import load_sources, names_regex, remote_params

SCRIPTS = {scripts!r}


def script_code(script):
    return [str(p) for p in package_modules(f"{{SCRIPTS}}/{{script}}.py")]


# The lines the lead adds to common.smk (registry path from the config here).
REAL_DATA = config["real_data"]
REAL_SOURCES = load_sources(config["registry"])
REAL_SOURCE_RE = names_regex(REAL_SOURCES)
REAL_FILE_RE = names_regex({{f for files in REAL_SOURCES.values() for f in files}})


def get_remote_file(wildcards):
    return remote_params(REAL_SOURCES, wildcards.source, wildcards.file)


def get_real_data_mirror(wildcards):
    return REAL_DATA["mirror"]


include: {rules!r}
"""


@pytest.mark.slow
def test_rule_file_downloads_over_loopback_with_snakemake(server, tmp_path):
    packed = gzip.compress(GOOD)
    url = server.serve("/b/x.fa.gz", (503, b""), (200, packed))
    remote = _remote(url, packed, format="gzip")
    entry = {
        "url": remote.url,
        "sha256": remote.sha256,
        "size": remote.size,
        "format": "gzip",
        "mirror": "set/x.fa.gz",
    }
    (tmp_path / "reg.yaml").write_text(
        yaml.safe_dump({"sources": {"toy": {"files": {"sub/x.fa.gz": entry}}}})
    )
    (tmp_path / "Snakefile").write_text(
        _SNAKEFILE.format(scripts=str(SCRIPTS), rules=str(REPO / "workflow" / "rules" / "real_data.smk"))
    )
    (tmp_path / "config.yaml").write_text(
        yaml.safe_dump({"registry": "reg.yaml", "real_data": {"mirror": None, "timeout": 5, "retries": 2}})
    )
    target = "resources/real/toy/sub/x.fa.gz.manifest.json"
    command = [sys.executable, "-m", "snakemake", target, "--cores", "1", "--configfile", "config.yaml"]
    env = {k: v for k, v in os.environ.items() if k != MIRROR_ENV}
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "resources/real/toy/sub/x.fa.gz").read_bytes() == packed
    assert json.loads((tmp_path / target).read_text())["source"] == "download"
    assert server.hits == {"/b/x.fa.gz": 2}
    assert "HTTP 503" in (tmp_path / "results/logs/download_source/toy/sub/x.fa.gz.log").read_text()


def test_a_file_that_appears_during_the_download_is_not_replaced(server, tmp_path, monkeypatch):
    import gsattn.download

    url = server.serve("/good.fa", (200, GOOD))
    dest = tmp_path / "good.fa"
    checked = gsattn.download.check_file

    def check_then_race(path, remote, origin):
        digest = checked(path, remote, origin)
        dest.write_bytes(b">other\nTTTT\n")  # another writer finishes first
        return digest

    monkeypatch.setattr(gsattn.download, "check_file", check_then_race)
    with pytest.raises(InputError, match="appeared while downloading; not overwritten"):
        fetch(_remote(url), dest, **FAST)
    assert dest.read_bytes() == b">other\nTTTT\n" and _left(tmp_path) == ["good.fa"]

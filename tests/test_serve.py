"""``cskpi serve`` (issue 12): files only, nothing outside the folder, a clear message for a bad port."""

from __future__ import annotations

import os
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from cskpi_analysis import cli
from cskpi_analysis.report import report_server


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A report folder with an index, a module, a sub-folder without index and one with; a secret beside it."""
    root = tmp_path / "reports"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text("<h1>reports</h1>")
    (root / "assets" / "app.mjs").write_text("export {}")
    (root / "charts").mkdir()
    (root / "charts" / "index.html").write_text("<h1>charts</h1>")
    (tmp_path / "secret.txt").write_text("not for the browser")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "index.html").write_text("outside")
    return root


@pytest.fixture
def url(site: Path) -> Iterator[str]:
    server = report_server(site, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        server.shutdown()
        server.server_close()


def status(address: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(address, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_files_and_folder_indexes_are_served(url: str) -> None:
    assert url.startswith("http://127.0.0.1:")
    assert status(f"{url}/") == (200, b"<h1>reports</h1>")
    assert status(f"{url}/assets/app.mjs") == (200, b"export {}")
    assert status(f"{url}/charts/") == (200, b"<h1>charts</h1>")
    assert status(f"{url}/charts")[0] == 200  # redirected to charts/


def test_a_folder_without_index_is_not_listed(url: str) -> None:
    code, body = status(f"{url}/assets/")
    assert code == 404
    assert b"app.mjs" not in body and b"Directory listing" not in body


def test_a_folder_without_index_at_the_root_is_not_listed(site: Path) -> None:
    (site / "index.html").unlink()
    server = report_server(site, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        host, port = server.server_address[:2]
        code, body = status(f"http://{host}:{port}/")
        assert code == 404 and b"assets" not in body
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links on this platform")
def test_symbolic_links_out_of_the_folder_are_not_followed(site: Path, url: str) -> None:
    (site / "leak.txt").symlink_to(site.parent / "secret.txt")
    (site / "away").symlink_to(site.parent / "outside", target_is_directory=True)
    (site / "charts" / "up").symlink_to(site.parent, target_is_directory=True)
    for path in ("/leak.txt", "/away/", "/away/index.html", "/charts/up/secret.txt", "/charts/up/outside/"):
        code, body = status(url + path)
        assert code == 404, path
        assert b"not for the browser" not in body and b"outside" not in body


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links on this platform")
def test_symbolic_links_inside_the_folder_are_followed(site: Path, url: str) -> None:
    (site / "latest.html").symlink_to(site / "charts" / "index.html")
    assert status(f"{url}/latest.html") == (200, b"<h1>charts</h1>")


def test_dot_dot_and_encoded_traversal_stay_inside(url: str) -> None:
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/charts/..%2f..%2fsecret.txt", "/..%5csecret.txt"):
        code, body = status(url + path)
        assert code == 404, path
        assert b"not for the browser" not in body


@pytest.mark.parametrize("port", ["99999", "65536", "-1"])
def test_a_port_out_of_range_is_a_one_line_error(site: Path, port: str, capsys) -> None:
    assert cli.main(["serve", str(site), "--port", port]) == 1
    err = capsys.readouterr().err
    assert f"--port {port}" in err and "65535" in err
    assert "Traceback" not in err and "internal error" not in err


def test_a_port_in_use_is_a_one_line_error(site: Path, capsys) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert cli.main(["serve", str(site), "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err and "--port 0" in err
    assert "Traceback" not in err


def test_a_missing_folder_is_a_one_line_error(tmp_path: Path, capsys) -> None:
    assert cli.main(["serve", str(tmp_path / "nowhere")]) == 1
    assert "is not a folder" in capsys.readouterr().err


def test_a_client_that_hangs_up_leaves_no_traceback(url: str, capfd) -> None:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as client:
        client.sendall(b"GET /assets/app.mjs HTTP/1.1\r\nHost: x\r\n")  # never finishes the request
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # RST on close
    assert status(f"{url}/")[0] == 200  # still serving
    assert "Traceback" not in capfd.readouterr().err

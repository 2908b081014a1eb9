"""Why an RTSP stream did not open, in words a user can act on.

OpenCV says only that it could not open the stream. When it cannot, one RTSP DESCRIBE on a plain
socket tells the cases apart: nothing listens (refused), nobody answers (down or filtered), something
answers that is not an RTSP server, the login is missing or wrong (401, Basic or Digest tried with the
URL's own login), there is no stream at that path (404), or the camera describes the stream but it did
not start over the chosen transport. It runs only after a failure, so it costs nothing while a camera works.
"""

from __future__ import annotations

import base64
import hashlib
import re
import socket
from typing import Optional
from urllib.parse import unquote, urlsplit

from ..redaction import mask_url


def _request(sock: socket.socket, url: str, cseq: int, authorization: Optional[str]) -> tuple[int, dict]:
    lines = [f"DESCRIBE {url} RTSP/1.0", f"CSeq: {cseq}", "Accept: application/sdp", "User-Agent: Failwatch"]
    if authorization:
        lines.append(f"Authorization: {authorization}")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    status = re.match(r"RTSP/1\.\d (\d{3})", head)
    if status is None:
        raise ValueError("not an RTSP answer")
    headers: dict[str, str] = {}
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), value.strip())
    return int(status.group(1)), headers


def _authorization(challenge: str, url: str, user: str, password: str) -> Optional[str]:
    if challenge.lower().startswith("basic"):
        return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    if challenge.lower().startswith("digest"):
        fields = dict(re.findall(r'(\w+)="?([^",]*)"?', challenge))
        realm, nonce = fields.get("realm", ""), fields.get("nonce", "")
        md5 = lambda text: hashlib.md5(text.encode()).hexdigest()  # noqa: E731 - RTSP's Digest is MD5
        response = md5(f"{md5(f'{user}:{realm}:{password}')}:{nonce}:{md5(f'DESCRIBE:{url}')}")
        return f'Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{url}", response="{response}"'
    return None


def diagnose(url: str, transport: str, timeout: float) -> str:
    """Why the stream at `url` would not open, as the end of a sentence ("... at <url>: <why>")."""
    parts = urlsplit(url)
    where = mask_url(url)
    host, port = parts.hostname or "", parts.port or 554
    plain = url.replace(f"{parts.username}:{parts.password}@", "", 1) if parts.username else url
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except ConnectionRefusedError:
        return f"connection refused at {where} (is the camera on, and is {port} its RTSP port?)"
    except socket.timeout:
        return f"no answer from {host}:{port} within {timeout:g} s (the camera is off or unreachable)"
    except OSError as exc:
        return f"cannot reach {host}:{port} ({exc.strerror or exc})"
    with sock:
        try:
            status, headers = _request(sock, plain, 1, None)
            if status == 401 and parts.username:
                authorization = _authorization(
                    headers.get("www-authenticate", ""), plain, unquote(parts.username), unquote(parts.password or "")
                )
                if authorization:
                    status, headers = _request(sock, plain, 2, authorization)
        except socket.timeout:
            return f"the camera at {where} accepted the connection but sent no RTSP answer within {timeout:g} s"
        except (ValueError, OSError):
            return f"the server at {where} is not an RTSP camera (its answer is not RTSP)"
    if status == 401:
        return (
            f"the camera at {where} refused the login (RTSP 401): check the user and password in the URL"
            if parts.username
            else f"the camera at {where} asks for a login: put user:password@ in the URL"
        )
    if status == 404:
        return f"the camera at {where} has no stream at {parts.path or '/'} (RTSP 404): check the path"
    if status == 200:
        other = "UDP" if transport == "tcp" else "TCP"
        return (
            f"the camera at {where} describes the stream but it did not start over "
            f"{transport.upper()}: try RTSP transport {other}"
        )
    return f"the camera at {where} answered RTSP {status}"

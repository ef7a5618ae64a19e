import pytest

from fastprobe.rules.escapes import EscapeError, escape, unescape


@pytest.mark.parametrize(
    ("text", "data"),
    [
        (r"GET / HTTP/1.0\r\n\r\n", b"GET / HTTP/1.0\r\n\r\n"),
        (r"\0\x01\xfF\t\\", b"\x00\x01\xff\t\\"),
        (r"\0012", b"\x00012"),  # nmap: \0 is one NUL, the digits stay
        ("plain", b"plain"),
    ],
)
def test_unescape_accepts_what_nmap_accepts(text: str, data: bytes) -> None:
    assert unescape(text) == data


@pytest.mark.parametrize("text", [r"\a", r"\x4", r"\xZZ", "trailing\\", r"\e", r"\v"])
def test_unescape_rejects_what_nmap_rejects(text: str) -> None:
    with pytest.raises(EscapeError):
        unescape(text)


def test_literal_characters_use_the_given_encoding() -> None:
    assert unescape("é", "utf-8") == "é".encode()
    assert unescape("é") == b"\xe9"


def test_escape_round_trips() -> None:
    data = bytes(range(256)) + b"\x001"
    assert unescape(escape(data)) == data
    assert escape(b"SSH-2.0\r\n\x00") == r"SSH-2.0\r\n\0"

"""canonical_url's quick path (a URL that is canonical already comes back as it is) gives the answer of the full
parse for every URL it takes: differential checks over many generated URLs, including the characters, ports,
hosts and dot segments where w3lib's safe_url_string rewrites a URL."""
from __future__ import annotations

import random

import pytest

from crawler.scope import _already_canonical, _canonical_parsed, canonical_url

ALPHABET = "aZ09-._~!$&'()*+,;=:@/%?#[] \"<>{}|\\^`中é\t."
HOSTS = ["example.edu.cn", "Example.EDU.cn", "127.0.0.1", "a-b.c", "-a.b", "a.b.", "xn--fiq228c.cn", "[::1]",
         "user@h.cn", "h.cn:80", "h.cn:443", "h.cn:8080", "h.cn:0", "h.cn:65536", "h.cn:099", "h.cn:", "h_c.cn",
         "1.2.3.4:65535"]


def _urls(seed: int, n: int):
    rnd = random.Random(seed)
    for _ in range(n):
        path = "".join(rnd.choice(ALPHABET) for _ in range(rnd.randint(0, 12)))
        if rnd.random() < 0.5:
            path = "/" + path
        if rnd.random() < 0.3:
            path += "%" + "".join(rnd.choice("0123456789ABCDEFGabcdefg") for _ in range(rnd.randint(0, 2)))
        if rnd.random() < 0.1:
            path += rnd.choice([";jsessionid=AB12", "/./x", "/../x", "/%2e%2E/x", "?", "#top", "?a='1'"])
        yield f"{rnd.choice(['http', 'https', 'HTTP', 'ftp'])}://{rnd.choice(HOSTS)}{path}"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_quick_path_agrees_with_the_full_parse(seed: int) -> None:
    taken = 0
    for url in _urls(seed, 30_000):
        if _already_canonical(url):
            taken += 1
            assert _canonical_parsed(url) == url, url
        assert canonical_url(url) == _canonical_parsed(url), url
    assert taken > 200  # the generator does reach the quick path


def test_links_as_sites_write_them() -> None:
    quick = ["http://xxgk.example.edu.cn/info/1021/5678.htm", "https://www.example.edu.cn/xxgk/list.jsp?id=3&p=2",
             "http://127.0.0.1:8001/2101/list.htm", "http://xxgk.example.edu.cn/%E9%80%9A%E7%9F%A5.htm"]
    for url in quick:
        assert _already_canonical(url) and canonical_url(url) == url
    rewritten = {
        "http://XXGK.example.edu.cn/a.htm": "http://xxgk.example.edu.cn/a.htm",
        "http://xxgk.example.edu.cn:80/a.htm#top": "http://xxgk.example.edu.cn/a.htm",
        "http://xxgk.example.edu.cn": "http://xxgk.example.edu.cn/",
        "http://xxgk.example.edu.cn/a.htm;jsessionid=0A1B?x=1": "http://xxgk.example.edu.cn/a.htm?x=1",
        "http://xxgk.example.edu.cn/通知 公告.htm": "http://xxgk.example.edu.cn/%E9%80%9A%E7%9F%A5%20%E5%85%AC%E5%91%8A.htm",
        "http://xxgk.example.edu.cn/a/../b.htm": "http://xxgk.example.edu.cn/b.htm",
    }
    for url, want in rewritten.items():
        assert not _already_canonical(url)
        assert canonical_url(url) == want, url

"""The crawl's meta-refresh middleware decodes only the head of a long page, and follows (or ignores) exactly the
refreshes Scrapy's own middleware does: checked against it on long pages in UTF-8 and GBK."""
from __future__ import annotations

from scrapy import Request
from scrapy.downloadermiddlewares import redirect
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.middlewares import _REFRESH_HEAD_BYTES, MetaRefreshMiddleware

FILLER = "<p>" + "学校信息公开年度报告正文。" * 40 + "</p>\n"


def _page(head: str, body_text: str, encoding: str) -> bytes:
    html = f"<html><head>{head}</head><body>{body_text}{FILLER * 60}</body></html>"
    return html.encode(encoding)


def _both(body: bytes, headers: dict | None = None):
    crawler = get_crawler(settings_dict={"METAREFRESH_ENABLED": True})
    ours = MetaRefreshMiddleware.from_crawler(crawler)
    scrapys = redirect.MetaRefreshMiddleware.from_crawler(crawler)
    request = Request("http://xxgk.example.edu.cn/old/index.htm", headers={"Referer": "http://xxgk.example.edu.cn/"})
    response = HtmlResponse(request.url, body=body, headers=headers or {}, request=request)
    assert len(response.body) > _REFRESH_HEAD_BYTES  # the long-page path
    return response, ours.process_response(request, response), scrapys.process_response(request, response)


def test_long_page_refresh_is_followed_like_scrapy():
    head = "<meta charset='utf-8'><meta http-equiv='refresh' content='0; url=/新栏目/list.htm'>"
    response, ours, theirs = _both(_page(head, "", "utf-8"))
    assert isinstance(ours, Request) and isinstance(theirs, Request)
    assert ours.url == theirs.url == "http://xxgk.example.edu.cn/%E6%96%B0%E6%A0%8F%E7%9B%AE/list.htm"
    assert ours.headers.get("Referer") == b"http://xxgk.example.edu.cn/"  # the page that linked, kept


def test_gbk_page_refresh_url_is_decoded_with_the_page_encoding():
    head = "<meta http-equiv='Content-Type' content='text/html; charset=gbk'>" \
           "<meta http-equiv='refresh' content='0;URL=/信息公开/index.htm'>"
    response, ours, theirs = _both(_page(head, "", "gbk"))
    assert isinstance(ours, Request) and isinstance(theirs, Request)
    assert ours.url == theirs.url  # the same percent-encoding of the GBK path as Scrapy's full decode
    assert "%D0%C5%CF%A2" in ours.url or "%E4%BF%A1%E6%81%AF" in ours.url


def test_long_page_without_refresh_comes_back_unchanged():
    response, ours, theirs = _both(_page("<meta charset='utf-8'><title>通知</title>", "", "utf-8"))
    assert ours is response and theirs is response


def test_refresh_past_the_first_4096_characters_is_ignored_as_scrapy_does():
    late = "<meta http-equiv='refresh' content='0; url=/late.htm'>"
    body = _page("<meta charset='utf-8'>", FILLER * 20 + late, "utf-8")
    response, ours, theirs = _both(body)
    assert ours is response and theirs is response

"""The helper spiders' command line: ``python -m spiders.<name> --input job.json --output items.jsonl``.

The link checker (``spiders.linkcheck``) and the discovery crawl of ``xxgk init`` (``spiders.discover``) each run
in a subprocess of their own (Scrapy's reactor runs once per process): the job file carries the Scrapy settings
and the spider's arguments, the items go to a JSON-lines feed."""
from __future__ import annotations

import argparse
import json
from typing import Any, Callable

from scrapy import Spider
from scrapy.crawler import CrawlerProcess


def run_job(prog: str, spidercls: type[Spider], spider_args: Callable[[dict], dict[str, Any]],
            argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    args = parser.parse_args(argv)
    with open(args.input, encoding="utf-8") as fh:
        job = json.load(fh)
    settings = dict(job.get("settings") or {})
    settings["FEEDS"] = {args.output: {"format": "jsonlines", "encoding": "utf8", "overwrite": True}}
    process = CrawlerProcess(settings)
    process.crawl(spidercls, **spider_args(job))
    process.start()
    return 0

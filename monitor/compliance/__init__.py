"""Compliance checks beyond freshness: personal-data leaks, broken links, site reachability, blank columns.

* :mod:`monitor.compliance.pii` — pure detection and masking of personal data (the store redacts with it,
  so it imports nothing of the project but ``monitor.core``);
* :mod:`monitor.compliance.links` — link checks (a polite Scrapy subprocess for what the crawl did not fetch);
* :mod:`monitor.compliance.sites` — site reachability per scan and blank or stale columns;
* :mod:`monitor.compliance.findings` — the findings table, ``check_scan`` (after every scan) and the
  ``xxgk findings`` text.

Import from the submodule that does the job (this package file stays empty on purpose: importing
``monitor.compliance.pii`` from the store must not pull in the link checker, the config or the store).
"""

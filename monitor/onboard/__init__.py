"""`xxgk init URL`: draft a school's config from its disclosure site (docs/onboarding.md).

crawl.py runs the bounded discovery crawl (spiders/discover.py); read.py reads pages (title, navigation,
信息公开目录 tables); draft.py turns what was read into item → column guesses with their evidence; emit.py
writes the YAML."""

"""The provincial overview across the schools of a fleet (docs/overview.md).

``summary`` is the shared summary store (schema ``fleet`` of the fleet's PostgreSQL database, or ``fleet.db`` in
its folder of SQLite files) and ``publish_school``, which writes a school's current assessment into it after the
school's scan; ``accounts`` the overview's own users and sessions (kept in the summary store); ``queries`` the
read models (schools × categories, ranking, monthly trends, one school's items); ``app`` the FastAPI
application with its ``templates/`` and ``static/``. Cross-school figures are read from the summary store
only, never from the school stores.
"""

"""Writes: one service per operation, one module per entity. The doors (the admin, the API, the pages, the
commands, the draft review, the seed loader) call these and write the models no other way.

Every service takes the acting user (`user=`; `rules.SYSTEM` for commands and jobs). The rules the services
enforce are stated once, in `rules.py`; the database holds the last line (`forecasts/db.py`).
"""

"""Cases: the case records and the case APIs HQ serves.

- :mod:`.records`: applying case blocks to case records, and the JSON shapes a case is served in;
- :mod:`.v05_api`: the v0.5 case list and detail (Tastypie);
- :mod:`.v2_reads`: case API v2 reads (list with its cursor, by id, bulk fetch, by external id);
- :mod:`.v2_writes`: case API v2 writes (create, update, upsert, bulk), through one generated XForm.

Example:
    >>> from . import records, v05_api
    >>> v05_api.MAX_LIMIT
    5000
"""

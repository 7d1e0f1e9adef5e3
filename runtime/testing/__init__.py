"""pyfn's test kit for jobs and adaptors.

- ``runtime.testing.destination``: ``DestinationAPI``, a recording HTTP server on 127.0.0.1
  (echo, status codes, redirects, slow answers, ``Retry-After``, gzip, large bodies, user routes).
"""

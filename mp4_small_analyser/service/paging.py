"""Pages of records: the largest `limit` the API takes, which its own clients page with."""

MAX_PAGE_SIZE = 1000
"""Records in one page of `GET /callback/batch/{id}`, of re-judging a batch and of
`GET /test/results`, at most; the console, re-delivery and `submit --wait` read batches in
pages this large."""

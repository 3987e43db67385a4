"""The concrete backends behind the store interfaces: SQLite, DynamoDB, SQS, S3, a folder.

Only `mp4_small_analyser.composition` (and the AWS entry points) import them; the service
may not (an import-linter contract forbids this whole package, so a new backend added here
is covered without naming it).
"""

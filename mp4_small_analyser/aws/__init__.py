"""AWS adapters of the service: DynamoDB store, SQS queue and the Lambda entry points.

They need the `aws` extra (boto3, Mangum); the local service never imports them.
"""

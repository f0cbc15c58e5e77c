"""The presign handler in Python with boto3 (as the platform's original Python Lambda): bench:lambda's Python row."""
import json
import os

import boto3

s3 = boto3.client("s3")


def lambda_handler(event, context):
    params = event.get("queryStringParameters") or {}
    upload = params.get("mode") == "upload"
    url = s3.generate_presigned_url(
        "put_object" if upload else "get_object",
        Params={"Bucket": os.environ["DDN_IN_BUCKET" if upload else "DDN_OUT_BUCKET"], "Key": params["file"]},
        ExpiresIn=3600,
    )
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps({"url": url})}

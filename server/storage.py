"""Where attachment bytes live: a local folder (the default) or an S3-compatible bucket.

``FIELDOPS_STORAGE_URL`` chooses: unset (or ``file:///path``) keeps files under the upload folder;
``s3://bucket/prefix`` puts them in that bucket under that prefix, through boto3 with its usual credentials
(``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_DEFAULT_REGION``, profiles, instance roles) and, for
other S3-compatible stores, ``FIELDOPS_S3_ENDPOINT_URL``. Every read and write of attachment bytes goes through
``get_storage()``; keys are content-addressed (``Attachment.storage_key``), so the same bytes are stored once.
"""

import hashlib
import logging
import os
import shutil
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import quote, urlsplit

from flask import current_app

from server.errors import ConfigError

CHUNK = 1024 * 1024
log = logging.getLogger(__name__)


class Storage(Protocol):
    """What the attachment code needs from a place that keeps bytes."""

    description: str
    temp_dir: str | None  # where an upload is spooled before ``put_file`` (None: the system's temp folder)

    def put_file(self, key: str, path: str, content_type: str) -> None:
        """Store the file at ``path`` under ``key``; the file is consumed (moved or uploaded, then removed)."""

    def exists(self, key: str) -> bool: ...

    def open(self, key: str) -> BinaryIO:
        """The stored bytes as a readable stream (``FileNotFoundError`` when absent)."""

    def delete(self, key: str) -> None: ...

    def signed_url(self, key: str, filename: str, content_type: str, as_attachment: bool, expires: int) -> str | None:
        """A short-lived URL a browser may fetch the bytes from, or None when this storage has none."""


def sha256_of(stream: BinaryIO) -> str:
    digest = hashlib.sha256()
    try:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    finally:
        stream.close()
    return digest.hexdigest()


class LocalStorage:
    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.description = f"folder {self.folder}"
        self.temp_dir = str(self.folder)

    def path(self, key: str) -> Path:
        return self.folder / key

    def put_file(self, key: str, path: str, content_type: str) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            os.unlink(path)
        else:
            shutil.move(path, target)

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def open(self, key: str) -> BinaryIO:
        return self.path(key).open("rb")

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def signed_url(self, key, filename, content_type, as_attachment, expires) -> None:
        return None


class S3Storage:
    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None, client=None):
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint_url = endpoint_url
        self.description = f"s3://{bucket}/{self.prefix}" + (f" at {endpoint_url}" if endpoint_url else "")
        self.temp_dir = None
        self._client = client

    @property
    def client(self):
        if self._client is None:
            import boto3
            from botocore.config import Config

            self._client = boto3.client(
                "s3",
                endpoint_url=self.endpoint_url,
                config=Config(signature_version="s3v4", retries={"mode": "standard"}),
            )
        return self._client

    def object_key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def put_file(self, key: str, path: str, content_type: str) -> None:
        try:
            if not self.exists(key):
                self.client.upload_file(
                    path, self.bucket, self.object_key(key), ExtraArgs={"ContentType": content_type}
                )
        finally:
            os.unlink(path)

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def open(self, key: str) -> BinaryIO:
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self.object_key(key))["Body"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise FileNotFoundError(key) from error
            raise

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))

    def signed_url(self, key: str, filename: str, content_type: str, as_attachment: bool, expires: int) -> str:
        disposition = "attachment" if as_attachment else "inline"
        params = {
            "Bucket": self.bucket,
            "Key": self.object_key(key),
            "ResponseContentType": content_type,
            "ResponseContentDisposition": f"{disposition}; filename*=UTF-8''{quote(filename)}",
        }
        return self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires)

    def origin(self) -> str:
        """The scheme and host browsers fetch signed URLs from (for the pages' Content-Security-Policy)."""
        parts = urlsplit(self.signed_url("probe", "probe", "image/jpeg", False, 60))
        return f"{parts.scheme}://{parts.netloc}"


def storage_from_settings(url: str | None, upload_folder: str, endpoint_url: str | None = None) -> Storage:
    """The storage a ``FIELDOPS_STORAGE_URL`` names (None or empty: the upload folder)."""
    if not url:
        return LocalStorage(upload_folder)
    parts = urlsplit(url)
    if parts.scheme == "file":
        return LocalStorage(parts.path)
    if parts.scheme == "s3":
        if not parts.netloc:
            raise ConfigError(f"FIELDOPS_STORAGE_URL must name a bucket: s3://BUCKET/PREFIX, got {url!r}")
        return S3Storage(parts.netloc, parts.path, endpoint_url or None)
    raise ConfigError(f"FIELDOPS_STORAGE_URL must be s3://BUCKET/PREFIX or file:///PATH, got {url!r}")


def get_storage(app=None) -> Storage:
    """The configured storage, built once per setting (tests may change the settings of a running app)."""
    app = app or current_app
    settings = (app.config.get("STORAGE_URL"), app.config["UPLOAD_FOLDER"], app.config.get("S3_ENDPOINT_URL"))
    cache = app.extensions.setdefault("fieldops_storage", {})
    if settings not in cache:
        cache[settings] = storage_from_settings(*settings)
    return cache[settings]


def configure_storage(app) -> None:
    """Check the setting at start; with signed URLs from a bucket, let pages show images from its origin."""
    storage = get_storage(app)
    if isinstance(storage, S3Storage) and app.config.get("STORAGE_SERVE") == "redirect":
        from botocore.exceptions import BotoCoreError

        try:
            origin = storage.origin()
        except BotoCoreError as error:  # e.g. no credentials yet: the app starts, downloads will say why
            log.warning("attachment storage %s: cannot sign URLs yet (%s)", storage.description, error)
            return
        if origin not in app.config["CSP_IMG_SOURCES"]:
            app.config["CSP_IMG_SOURCES"] = [*app.config["CSP_IMG_SOURCES"], origin]

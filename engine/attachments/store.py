"""Where the bytes of scans live: a small object-store interface, a local folder and any S3-compatible store.

Objects are content-addressed: the key of an object is the SHA-256 (hex) of its bytes, so identical bytes are
stored once whatever the number of cases or materials they are attached to. Each store lays keys out in
shards (`ab/cd/abcd…`) so that no folder or listing grows too long.

The application names the store once with `configure` (settings: ATTACHMENT_STORE, ATTACHMENT_DIR, S3_*);
the engine reads no environment. Failures of the store are `StoreFailure`; an object that is not there on
`get` is `MissingObject`.
"""

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Protocol, cast

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from engine.core.errors import Unavailable

DEFAULT_DIRECTORY = Path(__file__).resolve().parents[2] / "instance" / "attachments"
LOCAL = "local"
S3 = "s3"
_KEY = re.compile(r"[0-9a-f]{64}")
STORE_UNAVAILABLE = "附件存储暂时不可用，请稍后重试"


class StoreFailure(Exception):
    """The store could not be reached or refused the operation: nothing can be said about the object."""


class MissingObject(LookupError):
    """No object under that key."""


class StoreUnavailable(Unavailable):
    """What the service raises for a `StoreFailure`: nothing was kept, try again (503)."""

    def __init__(self, message: str = STORE_UNAVAILABLE) -> None:
        super().__init__(message)


class ObjectStore(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...


def content_key(data: bytes) -> str:
    """The key of `data`: the SHA-256 of its bytes, in hex."""
    return hashlib.sha256(data).hexdigest()


def sharded(key: str) -> str:
    """`ab/cd/abcd…` for the key `abcd…`; refuses anything but a content key (no path can be smuggled in)."""
    if not _KEY.fullmatch(key):
        raise ValueError(f"not a content key: {key!r}")
    return f"{key[:2]}/{key[2:4]}/{key}"


class LocalStore:
    """Objects as files under one folder; a write lands whole (a temporary file renamed into place)."""

    def __init__(self, directory: str | Path = DEFAULT_DIRECTORY) -> None:
        self.directory = Path(directory)

    def path_of(self, key: str) -> Path:
        return self.directory / sharded(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self.path_of(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
            try:
                with os.fdopen(handle, "wb") as file:
                    file.write(data)
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise StoreFailure(f"cannot write {path}: {exc}") from exc

    def get(self, key: str) -> bytes:
        path = self.path_of(key)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise MissingObject(key) from None
        except OSError as exc:
            raise StoreFailure(f"cannot read {path}: {exc}") from exc

    def exists(self, key: str) -> bool:
        try:
            return self.path_of(key).is_file()
        except OSError as exc:
            raise StoreFailure(str(exc)) from exc

    def delete(self, key: str) -> None:
        try:
            self.path_of(key).unlink(missing_ok=True)
        except OSError as exc:
            raise StoreFailure(str(exc)) from exc


_NOT_THERE = {"404", "NoSuchKey", "NotFound"}


class S3Store:
    """Objects in a bucket of any S3-compatible store (AWS S3, MinIO, a cloud's OSS/COS with an S3 endpoint)."""

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        prefix: str = "",
        encryption: str = "",
        kms_key_id: str = "",
        client: Any = None,
    ) -> None:
        if not bucket:
            raise ValueError("an S3 store needs a bucket (S3_BUCKET)")
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        # Server-side encryption of every object written ("AES256", or "aws:kms" with a key): the scans are the
        # applicants' identity papers, and the store keeps them encrypted at rest under its own key management.
        self.encryption: dict[str, str] = {}
        if encryption:
            self.encryption["ServerSideEncryption"] = encryption
            if kms_key_id:
                self.encryption["SSEKMSKeyId"] = kms_key_id
        self.client = client or boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region or None,
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
            config=Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"}),
        )

    def object_key(self, key: str) -> str:
        return self.prefix + sharded(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        try:
            self.client.put_object(
                Bucket=self.bucket, Key=self.object_key(key), Body=data, ContentType=content_type, **self.encryption
            )
        except (BotoCoreError, ClientError) as exc:
            raise StoreFailure(f"cannot write s3://{self.bucket}/{self.object_key(key)}: {exc}") from exc

    def get(self, key: str) -> bytes:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.object_key(key))
            return cast(bytes, answer["Body"].read())
        except ClientError as exc:
            if _error_code(exc) in _NOT_THERE:
                raise MissingObject(key) from None
            raise StoreFailure(f"cannot read s3://{self.bucket}/{self.object_key(key)}: {exc}") from exc
        except BotoCoreError as exc:
            raise StoreFailure(f"cannot read s3://{self.bucket}/{self.object_key(key)}: {exc}") from exc

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))
        except ClientError as exc:
            if _error_code(exc) in _NOT_THERE:
                return False
            raise StoreFailure(str(exc)) from exc
        except BotoCoreError as exc:
            raise StoreFailure(str(exc)) from exc
        return True

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))
        except (BotoCoreError, ClientError) as exc:
            raise StoreFailure(str(exc)) from exc


def _error_code(exc: ClientError) -> str:
    return str(cast(dict[str, Any], exc.response).get("Error", {}).get("Code", ""))


_store: ObjectStore = LocalStore()


def configure(
    kind: str = LOCAL,
    *,
    directory: str | Path | None = None,
    bucket: str | None = None,
    endpoint_url: str | None = None,
    region: str | None = None,
    access_key_id: str | None = None,
    secret_access_key: str | None = None,
    prefix: str = "",
    encryption: str = "",
    kms_key_id: str = "",
) -> ObjectStore:
    """Name the store scans go to: `local` (a folder, `instance/attachments` unless told) or `s3` (a bucket)."""
    store: ObjectStore
    if kind == LOCAL:
        store = LocalStore(directory or DEFAULT_DIRECTORY)
    elif kind == S3:
        store = S3Store(
            bucket or "",
            endpoint_url=endpoint_url,
            region=region,
            access_key_id=access_key_id,
            secret_access_key=secret_access_key,
            prefix=prefix,
            encryption=encryption,
            kms_key_id=kms_key_id,
        )
    else:
        raise ValueError(f"unknown attachment store {kind!r}: use {LOCAL!r} or {S3!r}")
    use(store)
    return store


def use(store: ObjectStore) -> ObjectStore:
    """Put `store` in place (what `configure` does; tests hand in their own); the store that was there."""
    global _store
    previous, _store = _store, store
    return previous


def current() -> ObjectStore:
    """The store scans go to now."""
    return _store

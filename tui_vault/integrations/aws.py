"""AWS Secrets Manager through boto3.

boto3 clients are thread-safe but sessions are not, so the session and the base client are
built once under a lock and then shared by the resolver's worker threads. Links that name a
role are fetched with credentials from STS `AssumeRole`, cached per role until five minutes
before they expire. Timeouts are the provider's, and a call is retried once at most, only
after a failure that came back quickly (a stale connection, a 5xx, throttling): a retry after
a timeout would keep the worker thread (and a CLI process) busy long after the fetch gave up.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from typing import Any

from tui_vault import __version__
from tui_vault.core.errors import InvalidSecretError
from tui_vault.core.fields import Field, InvalidConfigError, ProviderSpec, check_url, need
from tui_vault.core.model import Link, Reason
from tui_vault.core.providers import (
    MAX_CONNECTIONS,
    FetchError,
    NeedsReauth,
    Provider,
    ProviderFailure,
    ProviderUnreachable,
    safe_url,
)
from tui_vault.integrations.browse import BrowseDenied, Entry, Listing
from tui_vault.integrations.push import PushConflict, PushOutcome

# Error codes that mean "these credentials are not (or no longer) good enough".
AUTH_ERROR_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "AuthFailure",
        "ExpiredToken",
        "ExpiredTokenException",
        "IncompleteSignature",
        "InvalidAccessKeyId",
        "InvalidClientTokenId",
        "InvalidSignatureException",
        "InvalidToken",
        "MissingAuthenticationToken",
        "MissingAuthenticationTokenException",
        "NotAuthorized",
        "RequestExpired",
        "SignatureDoesNotMatch",
        "UnauthorizedOperation",
        "UnrecognizedClientException",
    }
)
_CREDENTIAL_ERRORS = (
    "NoCredentialsError",
    "PartialCredentialsError",
    "ProfileNotFound",
    "CredentialRetrievalError",
    "TokenRetrievalError",
    "SSOError",
)
ROLE_SESSION_NAME = "tui-vault"
ROLE_REFRESH_MARGIN = 300.0  # seconds before expiry when assumed-role credentials are renewed
ROLE_DURATION = 3600
# BatchGetSecretValue takes at most 20 secret ids per call.
BATCH_MAX = 20
# Error codes of a whole BatchGetSecretValue call that the same keys would get for every
# GetSecretValue too (the credentials themselves are refused): reported per secret at once.
# Any other refusal of the batch (AccessDenied: the policy may allow only GetSecretValue; an
# endpoint without the action; a validation error) falls back to one GetSecretValue each.
_REFUSED_KEYS = AUTH_ERROR_CODES - {
    "AccessDenied",
    "AccessDeniedException",
    "NotAuthorized",
    "UnauthorizedOperation",
}
# Per-secret errors inside a batch answer that mean what the same code means for a single
# GetSecretValue; any other code is asked again with GetSecretValue, as before batching.
_SECRET_ERRORS = frozenset({"ResourceNotFoundException", "DecryptionFailure"}) | AUTH_ERROR_CODES


_ROLE_ARN_RE = re.compile(r"\Aarn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+\Z")
_SECRET_ID_RE = re.compile(r"\A[\w/+=.@:-]+\Z")
_REGION_RE = re.compile(r"\A[a-z]{2}(-[a-z]+)+-\d+\Z")


def _check_config(c: dict[str, str]) -> dict[str, str]:
    if not _REGION_RE.match(c["region"]):
        raise InvalidConfigError(f"AWS region {c['region']!r} is not a region name")
    if c.get("profile") and c.get("access_key_id"):
        raise InvalidConfigError("AWS: use a profile or an access key, not both")
    if c.get("access_key_id") or c.get("secret_access_key"):
        need(SPEC, c, "access_key_id", "secret_access_key", why=" (both keys are needed)")
    if c.get("session_token") and not c.get("access_key_id"):
        raise InvalidConfigError("AWS: a session token needs an access key id and secret")
    if c.get("endpoint_url"):
        check_url(c["endpoint_url"], "AWS endpoint URL")
    return c


def _check_link(p: dict[str, str]) -> dict[str, str]:
    if p.get("version_id") and p.get("version_stage"):
        raise InvalidSecretError("AWS link: give a version id or a version stage, not both")
    sid = p["secret_id"]
    if not _SECRET_ID_RE.match(sid):
        raise InvalidSecretError(
            f"AWS secret id {sid!r} may only contain letters, digits and /_+=.@-:"
        )
    if sid.startswith("arn:") and ":secretsmanager:" not in sid:
        raise InvalidSecretError(f"AWS secret id {sid!r} is an ARN but not a Secrets Manager one")
    role = p.get("role_arn")
    if role and not _ROLE_ARN_RE.match(role):
        raise InvalidSecretError(
            f"AWS role ARN {role!r} is not of the form arn:aws:iam::ACCOUNT:role/NAME"
        )
    for key in ("version_id", "version_stage"):
        value = p.get(key)
        if value and not re.match(r"^[\w.-]+$", value):
            raise InvalidSecretError(f"AWS {key.replace('_', ' ')} {value!r} is not valid")
    return p


SPEC = ProviderSpec(
    name="aws",
    label="AWS",
    summary="AWS Secrets Manager",
    stdin_note=(
        "with --access-key-id, the secret access key comes on stdin "
        "(a session token may follow on a second line)"
    ),
    connect_fields=(
        Field(
            "region",
            "Region",
            required=True,
            default="us-east-1",
            metavar="R",
            help="the AWS region, e.g. us-east-1",
            hint="",
        ),
        Field(
            "profile",
            "Profile",
            metavar="P",
            help="a profile from ~/.aws (not with --access-key-id); none: the default chain",
            conflicts="access_key_id",
            hint="a profile from ~/.aws; leave empty for keys",
        ),
        Field(
            "access_key_id",
            "Access key ID",
            metavar="ID",
            help="sign in with this access key (its secret comes on stdin)",
            hint="",
        ),
        Field("secret_access_key", "Secret access key", secret=True, stdin_if="access_key_id"),
        Field(
            "session_token",
            "Session token",
            secret=True,
            advanced=True,
            stdin_if="access_key_id",
        ),
        Field(
            "endpoint_url",
            "Endpoint URL",
            metavar="URL",
            help="custom endpoint for Secrets Manager and STS",
            advanced=True,
        ),
    ),
    link_fields=(
        Field(
            "secret_id",
            "Secret name or ARN",
            required=True,
            metavar="ID_OR_ARN",
            help="the secret's name or ARN",
            hint="",
        ),
        Field("json_key", "JSON key", metavar="K", help="take this key of a JSON secret"),
        Field(
            "version_id",
            "Version ID",
            metavar="V",
            help="a version id (not with a stage)",
            conflicts="version_stage",
            hint="",
        ),
        Field(
            "version_stage",
            "Version stage",
            metavar="S",
            help="a version stage, e.g. AWSCURRENT or AWSPREVIOUS",
            hint="e.g. AWSCURRENT or AWSPREVIOUS",
        ),
        Field(
            "role_arn",
            "Role ARN to assume",
            metavar="ARN",
            help="assume this IAM role to read the secret",
            hint="",
        ),
    ),
    check_config=_check_config,
    check_link=_check_link,
)


def _safe_code(code: object) -> str:
    """An AWS error code is an identifier; anything else is not shown."""
    text = str(code or "")
    if text.isdigit():
        return f"HTTP {text}"
    return text if text.isidentifier() else "unknown error"


def _malformed(sid: str) -> FetchError:
    return ProviderFailure(f"malformed answer from AWS for secret {sid}")


def _transient(exc: BaseException) -> bool:
    """A failure worth one quick retry: not a timeout, not a refusal of the request."""
    import botocore.exceptions as bx

    if isinstance(exc, bx.ConnectTimeoutError | bx.ReadTimeoutError):
        return False
    if isinstance(exc, bx.ClientError):
        response = getattr(exc, "response", {}) or {}
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        code = str(response.get("Error", {}).get("Code", ""))
        return status >= 500 or status == 429 or "Throttl" in code
    return isinstance(exc, bx.ConnectionClosedError | bx.EndpointConnectionError)


class AwsProvider(Provider):
    name = "aws"
    label = "AWS Secrets Manager"
    spec = SPEC

    def __init__(
        self,
        config: Mapping[str, str],
        executor: Executor | None = None,
        timeout: float = 10.0,
    ) -> None:
        super().__init__(config, executor, timeout)
        self._lock = threading.Lock()
        self._role_lock = threading.Lock()
        self._session: Any = None
        self._clients: dict[str, Any] = {}  # "secretsmanager" / "sts" -> shared client
        self._roles: dict[str, tuple[Any, float]] = {}
        # Roles ("": the configured credentials) whose BatchGetSecretValue was refused or is
        # not offered by the endpoint: their links go one GetSecretValue each from then on.
        self._no_batch: set[str] = set()
        endpoint = self.config.get("endpoint_url")
        self._where = safe_url(endpoint) if endpoint else f"region {self.config.get('region', '?')}"

    def __repr__(self) -> str:
        return f"AwsProvider(region={self.config.get('region', '')!r})"

    # ------------------------------------------------------------------ public API

    async def fetch(self, link: Link) -> str:
        p = dict(link.params)
        if not p.get("secret_id"):
            raise ProviderFailure("AWS link needs a secret id")
        if p.get("version_id") and p.get("version_stage"):
            raise ProviderFailure("AWS link has both a version id and a version stage")
        return await self.run_blocking(lambda: self._fetch_sync(p))

    async def fetch_many(self, links: Sequence[Link]) -> dict[str, str | FetchError]:
        """Links to the current version of two or more secrets (per role) are read with
        BatchGetSecretValue, up to 20 ids a call, the calls in parallel; a link with a version
        id or stage, and any secret a batch did not answer for, with GetSecretValue as in
        `fetch`. Values, JSON keys and error messages are the ones `fetch` gives."""
        out: dict[str, str | FetchError] = {}
        singles: list[Link] = []
        groups: dict[str, dict[str, list[Link]]] = {}  # role ARN ("": none) -> secret id -> links
        for link in links:
            p = link.params
            sid = p.get("secret_id")
            if not sid or p.get("version_id") or p.get("version_stage"):
                singles.append(link)
            else:
                groups.setdefault(p.get("role_arn") or "", {}).setdefault(sid, []).append(link)
        jobs = []
        for role, by_sid in groups.items():
            if len(by_sid) < 2 or role in self._no_batch:
                singles += [link for same in by_sid.values() for link in same]
                continue
            ids = list(by_sid)
            count = -(-len(ids) // BATCH_MAX)  # calls needed; the ids spread evenly over them
            for i in range(count):
                chunk = ids[i * len(ids) // count : (i + 1) * len(ids) // count]
                jobs.append(self._fetch_batch(role, {sid: by_sid[sid] for sid in chunk}, out))
        jobs += [self._fetch_into(link, out) for link in singles]
        await asyncio.gather(*jobs)
        return out

    async def _fetch_into(self, link: Link, out: dict[str, str | FetchError]) -> None:
        try:
            out[link.fingerprint] = await self.fetch(link)
        except FetchError as e:
            out[link.fingerprint] = e

    async def _fetch_batch(
        self, role: str, by_sid: dict[str, list[Link]], out: dict[str, str | FetchError]
    ) -> None:
        answers = await self.run_blocking(lambda: self._batch_sync(role, list(by_sid)))
        again: list[Link] = []
        for sid, same in by_sid.items():
            answer = answers.get(sid)
            for link in same:
                if answer is None:  # not answered in the batch: asked on its own
                    again.append(link)
                elif isinstance(answer, FetchError):
                    out[link.fingerprint] = answer
                elif json_key := link.params.get("json_key"):
                    try:
                        out[link.fingerprint] = self._json_value(answer, json_key, sid)
                    except FetchError as e:
                        out[link.fingerprint] = e
                else:
                    out[link.fingerprint] = answer
        if again:
            await asyncio.gather(*(self._fetch_into(link, out) for link in again))

    async def verify(self) -> None:
        """Ask STS who we are: checks the keys without needing any secret permission."""

        def check() -> None:
            self._call("the credentials", lambda: self._base("sts").get_caller_identity())

        await self.run_blocking(check)

    async def browse(self, path: str, *, page: str | None = None, name_filter: str = "") -> Listing:
        """Secrets (""), a page at a time, filtered by name on the server; or the JSON keys
        of one secret (its id as the path): names only, the value is never returned."""
        sid = path.strip()
        if not sid:
            return await self.run_blocking(lambda: self._list_secrets(page, name_filter.strip()))
        listing = await self.run_blocking(lambda: self._json_keys(sid))
        return listing.filtered(name_filter)

    async def push(self, link: Link, value: str, *, force: bool = False) -> PushOutcome:
        """Create the secret, or update it keeping its other JSON keys."""
        sid = link.params.get("secret_id", "")
        if not sid:
            raise ProviderFailure("AWS link needs a secret id")
        json_key = link.params.get("json_key") or None
        return await self.run_blocking(lambda: self._push_sync(sid, json_key, value, force))

    def close(self) -> None:
        with self._lock:
            clients = list(self._clients.values())
            self._clients = {}
            self._session = None
        with self._role_lock:
            clients += [client for client, _ in self._roles.values()]
            self._roles = {}
        for client in clients:
            client.close()

    # ------------------------------------------------------------------ blocking side

    def _fetch_sync(self, p: dict[str, str]) -> str:
        sid = p["secret_id"]
        kwargs: dict[str, str] = {"SecretId": sid}
        if p.get("version_id"):
            kwargs["VersionId"] = p["version_id"]
        if p.get("version_stage"):
            kwargs["VersionStage"] = p["version_stage"]

        def get() -> Any:
            return self._client_for(p.get("role_arn")).get_secret_value(**kwargs)

        answer = self._call(sid, get)
        text = self._text_of(answer, sid)
        json_key = p.get("json_key")
        return self._json_value(text, json_key, sid) if json_key else text

    def _batch_sync(self, role: str, ids: list[str]) -> dict[str, str | FetchError | None]:
        """One BatchGetSecretValue for `ids`: per id its text, its FetchError (the one
        GetSecretValue would give), or None when it is to be asked with GetSecretValue."""
        import botocore.exceptions as bx

        fallback = object()
        found: dict[str, str | FetchError] = {}
        wanted = set(ids)
        token: str | None = None

        def batch() -> Any:
            kwargs: dict[str, Any] = {"SecretIdList": ids}
            if token:
                kwargs["NextToken"] = token
            try:
                return self._client_for(role or None).batch_get_secret_value(**kwargs)
            except bx.ClientError as exc:
                code = str((getattr(exc, "response", {}) or {}).get("Error", {}).get("Code", ""))
                if _transient(exc) or code in _REFUSED_KEYS:
                    raise  # retried once, then reported per secret as GetSecretValue would
                # A policy refusal, an endpoint without the action, a bare 403 (moto's XML
                # errors carry no code): the single reads give each secret its own answer.
                return fallback

        for _page in range(len(ids)):  # each page answers at least one id, or we stop
            try:
                answer = self._attempts(batch)
            except FetchError as e:
                return {sid: e for sid in ids}  # e.g. the role could not be assumed
            except Exception as exc:
                from botocore.parsers import ResponseParserError

                first = self._translate(exc, ids[0])
                network = first.reason is Reason.TIMED_OUT or isinstance(first, ProviderUnreachable)
                unreadable = isinstance(exc, ResponseParserError)
                if network or unreadable or isinstance(first, NeedsReauth):
                    # The same network (or credentials, or unreadable bytes) would fail the
                    # single reads in the same words: no second round trip.
                    return {sid: self._translate(exc, sid) for sid in ids}
                break  # an answer of the wrong shape: each secret asked on its own
            if answer is fallback:
                self._no_batch.add(role)
                break
            values = answer.get("SecretValues") if isinstance(answer, dict) else None
            errors = answer.get("Errors") if isinstance(answer, dict) else None
            if not isinstance(values, list) or not isinstance(errors, list | None):
                # Not a batch answer (botocore reads a body that is not JSON as {"message":
                # ...}): what GetSecretValue says of such an answer, without asking again.
                return {sid: found[sid] if sid in found else _malformed(sid) for sid in ids}
            before = len(found)
            for item in values:
                if not isinstance(item, dict):
                    continue
                for key in (item.get("Name"), item.get("ARN")):
                    if isinstance(key, str) and key in wanted and key not in found:
                        try:
                            found[key] = self._text_of(item, key)
                        except FetchError as e:
                            found[key] = e
            for err in errors or []:
                sid = err.get("SecretId") if isinstance(err, dict) else None
                code = str(err.get("ErrorCode", "")) if isinstance(err, dict) else ""
                known = code in _SECRET_ERRORS  # any other code: asked again on its own
                if known and isinstance(sid, str) and sid in wanted and sid not in found:
                    found[sid] = self._refusal(code, None, sid)
            token = answer.get("NextToken")
            if not (isinstance(token, str) and token) or len(found) == before:
                break
            if wanted.issubset(found):
                break
        return {sid: found.get(sid) for sid in ids}

    def _attempts(self, fn: Any) -> Any:
        """Run an SDK call, once more after a failure that came back quickly and is worth a
        retry (`_transient`); the last failure is raised as it is."""
        started = time.monotonic()
        try:
            return fn()
        except FetchError:
            raise
        except Exception as exc:
            quick = time.monotonic() - started < self.timeout / 2
            if not (quick and _transient(exc)):
                raise
        return fn()

    def _call(self, what: str, fn: Any) -> Any:
        """Run an SDK call, translating every failure into a FetchError without its text."""
        try:
            return self._attempts(fn)
        except FetchError:
            raise
        except Exception as exc:
            error = self._translate(exc, what)
        raise error from None

    @staticmethod
    def _text_of(answer: Any, sid: str) -> str:
        if not isinstance(answer, dict) or not ("ARN" in answer or "Name" in answer):
            # botocore turns a body that is not JSON into {"message": ...}: not an answer.
            raise _malformed(sid)
        text = answer.get("SecretString")
        if isinstance(text, str):
            return text
        binary = answer.get("SecretBinary")
        if isinstance(binary, bytes | bytearray):
            try:
                return bytes(binary).decode("utf-8")
            except UnicodeDecodeError:
                pass
            raise ProviderFailure(f"AWS secret {sid} is binary, not UTF-8 text")
        raise ProviderFailure(f"AWS returned no value for secret {sid}")

    @staticmethod
    def _json_value(text: str, key: str, sid: str) -> str:
        try:
            doc = json.loads(text)
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            raise ProviderFailure(
                f"AWS secret {sid} is not a JSON object, so JSON key {key!r} cannot be read"
            )
        if key not in doc:
            raise ProviderFailure(f"JSON key {key!r} not found in AWS secret {sid}")
        value = doc[key]
        return value if isinstance(value, str) else json.dumps(value)

    def _config(self) -> Any:
        from botocore.config import Config

        return Config(
            connect_timeout=self.timeout,
            read_timeout=self.timeout,
            max_pool_connections=MAX_CONNECTIONS,
            # botocore's own retries would also follow timeouts; _call retries instead.
            retries={"total_max_attempts": 1, "mode": "standard"},
            user_agent_extra=f"tui-vault/{__version__}",
        )

    def _new_session(self) -> Any:
        import boto3.session

        c = self.config
        if c.get("access_key_id"):
            return boto3.session.Session(
                aws_access_key_id=c["access_key_id"],
                aws_secret_access_key=c.get("secret_access_key", ""),
                aws_session_token=c.get("session_token") or None,
                region_name=c.get("region") or None,
            )
        return boto3.session.Session(
            profile_name=c.get("profile") or None,
            region_name=c.get("region") or None,
        )

    def _base(self, service: str) -> Any:
        """The shared client for `service`, built once; the session is only touched here,
        under the lock, because boto3 sessions are not thread-safe."""
        with self._lock:
            client = self._clients.get(service)
            if client is None:
                if self._session is None:
                    self._session = self._new_session()
                client = self._make_client(self._session, service)
                self._clients[service] = client
            return client

    def _make_client(self, session: Any, service: str) -> Any:
        return session.client(
            service,
            endpoint_url=self.config.get("endpoint_url") or None,
            config=self._config(),
        )

    def _client_for(self, role_arn: str | None) -> Any:
        if not role_arn:
            return self._base("secretsmanager")
        with self._role_lock:  # one AssumeRole per role at a time: the others wait and reuse
            cached = self._roles.get(role_arn)
            if cached is not None and cached[1] - time.time() > ROLE_REFRESH_MARGIN:
                return cached[0]
            try:
                answer = self._base("sts").assume_role(
                    RoleArn=role_arn,
                    RoleSessionName=ROLE_SESSION_NAME,
                    DurationSeconds=ROLE_DURATION,
                )
                creds = answer["Credentials"]
                expires = creds["Expiration"]
                expires_at = (
                    expires.timestamp() if hasattr(expires, "timestamp") else time.time() + 900
                )
            except (KeyError, TypeError):
                raise ProviderFailure(f"malformed AssumeRole answer for {role_arn}") from None
            except Exception as exc:
                error = self._translate(exc, f"role {role_arn}")
                raise error from None
            import boto3.session

            session = boto3.session.Session(
                aws_access_key_id=creds["AccessKeyId"],
                aws_secret_access_key=creds["SecretAccessKey"],
                aws_session_token=creds["SessionToken"],
                region_name=self.config.get("region") or None,
            )
            client = self._make_client(session, "secretsmanager")
            # A replaced client may still be serving another thread: leave it to the GC.
            self._roles[role_arn] = (client, expires_at)
        return client

    # ------------------------------------------------------------------ browse / push

    def _denied(self, exc: BaseException) -> bool:
        """A refusal of this call by the account's policy, with credentials that still work
        (asked of STS, as HashiCorp's token is checked): shown per node, not as re-auth."""
        import botocore.exceptions as bx

        if not isinstance(exc, bx.ClientError):
            return False
        response = getattr(exc, "response", {}) or {}
        code = str(response.get("Error", {}).get("Code", ""))
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code not in ("AccessDenied", "AccessDeniedException") and status != 403:
            return False
        try:
            self._base("sts").get_caller_identity()
        except Exception:
            return False
        return True

    def _list_secrets(self, page: str | None, name_filter: str) -> Listing:
        import botocore.exceptions as bx

        kwargs: dict[str, Any] = {"MaxResults": 100, "SortOrder": "asc"}
        if page:
            kwargs["NextToken"] = page
        if name_filter:
            kwargs["Filters"] = [{"Key": "name", "Values": [name_filter]}]
        client = self._base("secretsmanager")
        try:
            answer = client.list_secrets(**kwargs)
        except bx.ClientError as exc:
            if self._denied(exc):
                raise BrowseDenied("the secrets of this account") from None
            error = self._translate(exc, "the list of secrets")
            raise error from None
        except Exception as exc:
            error = self._translate(exc, "the list of secrets")
            raise error from None
        items = answer.get("SecretList") if isinstance(answer, dict) else None
        if not isinstance(items, list):
            raise ProviderFailure("malformed answer from AWS for the list of secrets")
        entries = []
        for item in items:
            name = item.get("Name") if isinstance(item, dict) else None
            if isinstance(name, str) and name:
                entries.append(Entry(name, "secret", path=name))
        token = answer.get("NextToken")
        return Listing("", tuple(entries), token if isinstance(token, str) and token else None)

    def _json_keys(self, sid: str) -> Listing:
        import botocore.exceptions as bx

        client = self._base("secretsmanager")
        try:
            answer = client.get_secret_value(SecretId=sid)
        except bx.ClientError as exc:
            if self._denied(exc):
                raise BrowseDenied(f"secret {sid}") from None
            error = self._translate(exc, sid)
            raise error from None
        except Exception as exc:
            error = self._translate(exc, sid)
            raise error from None
        text = self._text_of(answer, sid)
        entries = [Entry("(whole value)", "value", link={"secret_id": sid})]
        try:
            doc = json.loads(text)
        except ValueError:
            doc = None
        if isinstance(doc, dict):
            entries += [
                Entry(str(k), "key", link={"secret_id": sid, "json_key": str(k)})
                for k in sorted(doc)
            ]
        del text, doc  # the value is read to find its keys, and goes no further
        return Listing(sid, tuple(entries))

    def _push_sync(self, sid: str, json_key: str | None, value: str, force: bool) -> PushOutcome:
        import botocore.exceptions as bx

        client = self._base("secretsmanager")
        try:
            answer = client.get_secret_value(SecretId=sid)
        except bx.ClientError as exc:
            code = str((getattr(exc, "response", {}) or {}).get("Error", {}).get("Code", ""))
            if code != "ResourceNotFoundException":
                error = self._translate(exc, sid)
                raise error from None
            answer = None
        except Exception as exc:
            error = self._translate(exc, sid)
            raise error from None
        if answer is None:
            if sid.startswith("arn:"):
                raise ProviderFailure(f"secret not found: {sid} (a new secret needs a name)")
            text = json.dumps({json_key: value}) if json_key else value
            self._call(sid, lambda: client.create_secret(Name=sid, SecretString=text))
            return "created"
        current = self._text_of(answer, sid)
        if json_key:
            try:
                doc = json.loads(current)
            except ValueError:
                doc = None
            if not isinstance(doc, dict):
                raise ProviderFailure(
                    f"AWS secret {sid} holds a value that is not a JSON object, so --json-key "
                    f"{json_key!r} cannot be added to it; nothing was changed"
                )
            if doc.get(json_key) == value:
                return "unchanged"
            if json_key in doc and not force:
                raise PushConflict(
                    f"AWS secret {sid} already has a different value for JSON key "
                    f"{json_key!r}; pass --force to replace it"
                )
            existed = json_key in doc
            text = json.dumps({**doc, json_key: value})
        else:
            if current == value:
                return "unchanged"
            if not force:
                raise PushConflict(
                    f"AWS secret {sid} already holds a different value; pass --force to replace it"
                )
            existed, text = True, value
        self._call(sid, lambda: client.put_secret_value(SecretId=sid, SecretString=text))
        return "updated" if existed else "created"

    @staticmethod
    def _refusal(code: str, status: object, what: str) -> FetchError:
        """What an error answer from AWS means: for a call, or one secret of a batch."""
        if code == "ResourceNotFoundException":
            return ProviderFailure(f"secret not found: {what}")
        if code in AUTH_ERROR_CODES or status in (401, 403):
            return NeedsReauth(f"AWS rejected the credentials for {what} ({_safe_code(code)})")
        if code == "DecryptionFailure":
            return ProviderFailure(f"AWS could not decrypt {what}")
        return ProviderFailure(f"AWS refused {what} ({_safe_code(code)})")

    def _translate(self, exc: BaseException, what: str) -> FetchError:
        import botocore.exceptions as bx
        from botocore.parsers import ResponseParserError

        where = self._where
        if isinstance(exc, bx.ClientError):
            response = getattr(exc, "response", {}) or {}
            code = str(response.get("Error", {}).get("Code", ""))
            status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            return self._refusal(code, status, what)
        if isinstance(exc, bx.ConnectTimeoutError | bx.ReadTimeoutError):
            return FetchError(
                Reason.TIMED_OUT, f"AWS at {where} did not answer in {self.timeout:g}s for {what}"
            )
        if isinstance(exc, tuple(getattr(bx, n) for n in _CREDENTIAL_ERRORS if hasattr(bx, n))):
            return NeedsReauth(f"no usable AWS credentials ({type(exc).__name__})")
        if isinstance(exc, bx.NoRegionError):
            return ProviderFailure("no AWS region configured")
        if isinstance(exc, bx.SSLError):
            return ProviderFailure(f"TLS verification failed for AWS at {where}")
        if isinstance(exc, bx.EndpointConnectionError | bx.ConnectionClosedError):
            return ProviderUnreachable(f"cannot reach AWS at {where}")
        if isinstance(exc, ResponseParserError):
            return ProviderFailure(f"malformed answer from AWS for {what}")
        if isinstance(exc, bx.ParamValidationError):
            return ProviderFailure(f"AWS rejected the link parameters for {what}")
        if isinstance(exc, bx.BotoCoreError):
            return ProviderFailure(f"AWS request for {what} failed ({type(exc).__name__})")
        return ProviderFailure(f"unexpected error fetching {what} ({type(exc).__name__})")

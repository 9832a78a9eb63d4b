"""Resolving from a warm cache gives what the rule gives: for each linked name, a fresh entry
under the link's fingerprint (the sorted `k=v` join) is served from the cache, anything else
is fetched; local checks and disconnected providers come first. Checked against a model of
that rule over links of every shape (HashiCorp's usual three keys in any order, extra keys,
empty values, one-key links) and entries fresh, expired, just expiring, or missing."""

from __future__ import annotations

import time
from collections.abc import Mapping
from concurrent.futures import Executor

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui_vault.core import resolver as resolver_module
from tui_vault.core.cache import Cache
from tui_vault.core.model import PROVIDERS, Link, Reason, Secret, link_fingerprint
from tui_vault.core.resolution import Resolution, check_local, value_result
from tui_vault.core.resolver import Resolver
from tui_vault.core.vault import Vault
from tui_vault.integrations.base import Provider


def rule_fingerprint(link: Link) -> str:
    """The cache key as the rule states it (the formula before the shortcuts)."""
    items = ",".join(f"{k}={v}" for k, v in sorted(link.params.items()) if v)
    return f"{link.provider}:{items}"


class EchoProvider(Provider):
    name = "aws"
    label = "Echo"

    async def fetch(self, link: Link) -> str:
        return f"fetched:{rule_fingerprint(link)}"


def echo_factory(
    provider: str, config: Mapping[str, str], executor: Executor | None = None, timeout: float = 10
) -> Provider:
    return EchoProvider(config, executor, timeout)


LINKS: dict[str, Link] = {
    "H_USUAL": Link("hashicorp", {"engine": "secret", "path": "app/db", "key": "password"}),
    "H_ORDER": Link("hashicorp", {"key": "password", "path": "app/db", "engine": "secret"}),
    "H_OTHER": Link("hashicorp", {"path": "app/db", "engine": "kv", "key": "user"}),
    "H_EMPTY": Link("hashicorp", {"engine": "secret", "path": "app/x", "key": ""}),
    "H_EXTRA": Link("hashicorp", {"engine": "secret", "path": "app/x", "key": "k", "v": "2"}),
    "H_TWO": Link("hashicorp", {"engine": "secret", "path": "app/y"}),
    "H_ODD": Link("hashicorp", {"engine": "e", "key": "k", "pathx": "p"}),
    "A_PLAIN": Link("aws", {"secret_id": "prod/db"}),
    "A_JSON": Link("aws", {"secret_id": "prod/db", "json_key": "password"}),
    "A_EMPTY": Link("aws", {"secret_id": ""}),
    "Z_ONE": Link("azure", {"secret_id": "https://kv.example/secrets/s"}),
    "GONE": Link("1password", {"ref": "op://v/i/f"}),  # not connected
}


LOCALS = ["LOCAL", "LOCAL_EMPTY", "LOCAL_RESTRICTED", "OFF", "OFF_LINK", "RESTRICTED", "NOPE"]


@pytest.fixture
def filled(vault: Vault) -> Vault:
    for name, lnk in LINKS.items():
        vault.link(name, lnk)
    vault.set_value("LOCAL", "local-value")
    vault.set_value("LOCAL_EMPTY", "")
    vault.set_value("OFF", "x", enabled=False)
    vault.set_value("LOCAL_RESTRICTED", "r-value")
    vault.change(
        lambda d: d.secrets.__setitem__(
            "LOCAL_RESTRICTED",
            d.secrets["LOCAL_RESTRICTED"].touched(allowed_domains=["api.example.com"]),
        )
    )
    vault.link("OFF_LINK", LINKS["A_PLAIN"])
    vault.change(
        lambda d: d.secrets.__setitem__("OFF_LINK", d.secrets["OFF_LINK"].touched(enabled=False))
    )
    vault.link("RESTRICTED", LINKS["H_USUAL"])
    vault.change(
        lambda d: d.secrets.__setitem__(
            "RESTRICTED", d.secrets["RESTRICTED"].touched(allowed_domains=["api.example.com"])
        )
    )
    for provider in ("hashicorp", "aws", "azure"):
        vault.set_integration(provider, {"url": "http://127.0.0.1:9"})
    return vault


def model(
    vault: Vault,
    cache: Cache,
    names: list[str],
    ttl: float,
    now: float,
    url: str | None,
    owner: bool = False,
) -> dict[str, Resolution]:
    out: dict[str, Resolution] = {}
    entries = cache.entries()
    for name in dict.fromkeys(names):
        secret = vault.data.secrets.get(name)
        early = check_local(name, secret, url, owner)
        if early is not None:
            out[name] = early
            continue
        assert secret is not None and secret.link is not None
        if secret.link.provider not in vault.data.integrations:
            out[name] = Resolution(
                name,
                "unresolved",
                reason=Reason.DISCONNECTED,
                detail=f"connect {PROVIDERS[secret.link.provider]} to resolve it",
            )
            continue
        entry = entries.get(rule_fingerprint(secret.link))
        if entry is not None and entry.expires_in(ttl, now) > 0:
            out[name] = value_result(name, entry.value, "cache")
        else:
            out[name] = value_result(name, f"fetched:{rule_fingerprint(secret.link)}", "fetched")
    return out


async def _resolved(
    vault: Vault, ttl_minutes: float, names: list[str], url: str | None, owner: bool
) -> dict[str, Resolution]:
    """What the resolver answers for names, with the vault's cache and the echo provider."""
    resolver = Resolver(
        vault,
        Cache(vault.paths.cache, vault.paths.lock, vault.key, vault.vault_id),
        ttl_minutes=ttl_minutes,
        provider_factory=echo_factory,
    )
    try:
        return await resolver.resolve(names, url, owner=owner)
    finally:
        resolver.close()


@pytest.mark.parametrize("owner", [False, True])
@pytest.mark.parametrize("ttl_minutes", [0, 30])
@pytest.mark.parametrize("url", [None, "https://api.example.com/x", "https://other.example/"])
async def test_warm_cache_results_follow_the_rule(
    filled: Vault, ttl_minutes: float, url: str | None, owner: bool
) -> None:
    now = time.time()
    ttl = ttl_minutes * 60
    ages = [10.0, ttl - 5, ttl + 5, 3 * 3600.0]  # fresh, about to expire, expired, old
    names = [*LINKS, *LOCALS]
    for i, name in enumerate(LINKS):
        if i % 5 == 4:
            continue  # no entry at all
        cache = Cache(filled.paths.cache, filled.paths.lock, filled.key, filled.vault_id)
        fp = rule_fingerprint(LINKS[name])
        cache.put_many({fp: f"cached:{name}"}, now=now - ages[i % len(ages)])
    cache = Cache(filled.paths.cache, filled.paths.lock, filled.key, filled.vault_id)
    expected = model(filled, cache, names, ttl, time.time(), url, owner)
    got = await _resolved(filled, ttl_minutes, names, url, owner)
    assert got == expected
    assert list(got) == names
    for n in names:  # field by field too (== is the class's own)
        assert repr(got[n]) == repr(expected[n]) and got[n].value == expected[n].value
    origins = {r.origin for r in got.values()}
    assert ("cache" in origins) == (ttl_minutes > 0)
    assert "fetched" in origins


@pytest.mark.parametrize("owner", [False, True])
@pytest.mark.parametrize("url", [None, "https://api.example.com/x"])
async def test_nothing_to_fetch_keeps_the_order_asked(
    filled: Vault, url: str | None, owner: bool
) -> None:
    """Every name cached or decided locally (no fetch at all): the result holds each name
    once, in the order first asked, as when some are fetched."""
    now = time.time()
    cache = Cache(filled.paths.cache, filled.paths.lock, filled.key, filled.vault_id)
    cache.put_many({rule_fingerprint(lnk): f"cached:{n}" for n, lnk in LINKS.items()}, now=now)
    names = ["NOPE", "Z_ONE", "LOCAL", "H_USUAL", "LOCAL", "OFF", "A_JSON", "NOPE", "GONE"]
    names += ["LOCAL_RESTRICTED", "LOCAL_EMPTY", "RESTRICTED", "OFF_LINK", "H_ORDER"]
    expected = model(filled, cache, names, 1800, now, url, owner)
    assert all(r.origin != "fetched" for r in expected.values())
    got = await _resolved(filled, 30, names, url, owner)
    assert got == expected
    assert list(got) == list(dict.fromkeys(names))


def _index_of(vault: Vault) -> dict[str, str]:
    """The name index the cache file holds for this vault file ({} if none or another's)."""
    doc = Cache(vault.paths.cache, vault.paths.lock, vault.key, vault.vault_id)._current()
    return dict(doc.named) if doc.vault == vault.tagged[1] else {}


CHANGES = {
    "relinked": lambda v: v.link("H_USUAL", Link("aws", {"secret_id": "moved/elsewhere"})),
    "disabled": lambda v: v.change(
        lambda d: d.secrets.__setitem__("A_JSON", d.secrets["A_JSON"].touched(enabled=False))
    ),
    "restricted": lambda v: v.change(
        lambda d: d.secrets.__setitem__(
            "Z_ONE", d.secrets["Z_ONE"].touched(allowed_domains=["api.example.com"])
        )
    ),
    "made local": lambda v: v.change(
        lambda d: d.secrets.__setitem__("A_PLAIN", Secret(name="A_PLAIN", value="now-local"))
    ),
    "deleted": lambda v: v.delete("H_OTHER"),
    "disconnected": lambda v: v.remove_integration("hashicorp"),
    "unrelated edit": lambda v: v.set_value("LOCAL", "another-local-value"),
}


@pytest.mark.parametrize("change", list(CHANGES))
@pytest.mark.parametrize("url", [None, "https://api.example.com/x"])
async def test_the_name_index_serves_only_the_vault_file_it_was_made_for(
    filled: Vault, change: str, url: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fetch writes the cache's name index for the vault file it resolved; a warm request
    of that file is answered from it (what the rule gives, by fingerprint). After any change
    to the vault, the index is another file's: the answers are still exactly the rule's
    (a relinked name is fetched anew, not served its old link's value)."""
    names = [*LINKS, *LOCALS]
    fetched = await _resolved(filled, 30, names, url, False)
    assert "fetched" in {r.origin for r in fetched.values()}
    index = _index_of(filled)
    # The usual linked names with a connected provider, and only those; H_ORDER shares
    # H_USUAL's link (the same fingerprint), so the same entry.
    usual = {"H_USUAL", "H_ORDER", "H_OTHER", "H_EMPTY", "H_EXTRA", "H_TWO", "H_ODD"}
    assert set(index) == usual | {"A_PLAIN", "A_JSON", "A_EMPTY", "Z_ONE"}
    assert index["H_USUAL"] == index["H_ORDER"] == f"fetched:{rule_fingerprint(LINKS['H_USUAL'])}"

    cache = Cache(filled.paths.cache, filled.paths.lock, filled.key, filled.vault_id)
    # Answered from the index: no fingerprint computed for a name in it (only RESTRICTED,
    # allowed for this URL and not a usual secret, is looked up by fingerprint).
    computed: list[str] = []

    def counted(provider: str, params: dict[str, str]) -> str:
        computed.append(provider)
        return link_fingerprint(provider, params)

    with monkeypatch.context() as m:
        m.setattr(resolver_module, "link_fingerprint", counted)
        warm = await _resolved(filled, 30, names, url, False)
    assert len(computed) == (1 if url else 0)
    assert warm == model(filled, cache, names, 1800, time.time(), url)
    assert {warm[n].origin for n in index} == {"cache"}

    CHANGES[change](filled)
    assert _index_of(filled) == {}  # made for the file before the change
    cache = Cache(filled.paths.cache, filled.paths.lock, filled.key, filled.vault_id)
    expected = model(filled, cache, names, 1800, time.time(), url)
    got = await _resolved(filled, 30, names, url, False)
    assert got == expected
    for n in names:
        assert repr(got[n]) == repr(expected[n]) and got[n].value == expected[n].value
    if change == "relinked":
        assert got["H_USUAL"].origin == "fetched"
        assert got["H_USUAL"].value == "fetched:aws:secret_id=moved/elsewhere"
    # The fetch after the change wrote the index anew, for the file as it is now.
    if any(r.origin == "fetched" for r in got.values()):
        assert _index_of(filled) == {
            n: r.value for n, r in got.items() if n in _index_of(filled) and r.value
        }
        assert _index_of(filled)


async def test_an_expired_entry_is_left_to_the_rule(filled: Vault) -> None:
    """The index answers the names whose entry is fresh; an expired one goes by the rule
    (fetched), the others are still answered from the index."""
    names = [*LINKS, *LOCALS]
    await _resolved(filled, 30, names, None, False)
    cache = Cache(filled.paths.cache, filled.paths.lock, filled.key, filled.vault_id)
    old = time.time() - 3600
    cache.put_many({rule_fingerprint(LINKS["A_JSON"]): "cached-long-ago"}, now=old)
    assert _index_of(filled)["A_JSON"] == "cached-long-ago"  # index kept, entry updated
    answered = cache.named(filled.tagged[1], 1800, time.time())
    assert "A_JSON" not in answered and "H_USUAL" in answered
    got = await _resolved(filled, 30, names, None, False)
    assert got["A_JSON"].origin == "fetched"
    assert got["H_USUAL"].origin == got["Z_ONE"].origin == "cache"
    assert got == model(filled, cache, names, 1800, time.time(), None) | {"A_JSON": got["A_JSON"]}


PARAM_KEYS = st.sampled_from(["engine", "key", "path", "secret_id", "json_key", "ref", "pathx"])
PARAM_VALUES = st.sampled_from(["", "secret", "app/db", "k", "prod/x"]) | st.text(max_size=6)


@given(
    st.sampled_from(sorted(PROVIDERS)),
    st.dictionaries(PARAM_KEYS, PARAM_VALUES, max_size=4),
)
def test_the_resolvers_fingerprint_is_the_rule(provider: str, params: dict[str, str]) -> None:
    """The shortcut for the usual shapes (one param; HashiCorp's engine, key and path) the
    resolver looks the cache up by gives the key the rule gives, for every shape and order
    of params."""
    link = Link(provider, params)
    assert link_fingerprint(provider, params) == rule_fingerprint(link) == link.fingerprint


@pytest.mark.parametrize(
    "params",
    [
        {"secret_id": "a"},
        {"secret_id": ""},
        {"ref": "op://v/i/f"},
        {"engine": "e", "key": "k", "path": "p"},
        {"path": "p", "key": "k", "engine": "e"},
        {"engine": "e", "key": "", "path": "p"},
        {"engine": "e", "key": "k", "pathx": "p"},
    ],
)
@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_the_resolvers_fingerprint_on_each_shape(provider: str, params: dict[str, str]) -> None:
    assert link_fingerprint(provider, params) == rule_fingerprint(Link(provider, params))

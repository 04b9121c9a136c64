"""The sending domain's parts: DNS records (dns_records), status mapping (domain_state), DKIM text
(dkim_keys), import ids (domain_ids), validators and durations."""

from __future__ import annotations

import base64

import pytest

from provider.tfplugin.diagnostics import ResourceError
from provider.resources import dkim_keys, dns_records, domain_ids, domain_state as st, import_ids, validators
from provider.sparkpost.models import DomainStatus
from provider.tfplugin import validators as generic
from provider.tfplugin.values import UNKNOWN, Unknown


def _pair(bits: int = 1024) -> tuple[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(private).decode(), base64.b64encode(public).decode()


@pytest.fixture(scope="module")
def pair() -> tuple[str, str]:
    return _pair()


# ---------------------------------------------------------------- records


def test_records_have_stable_ids_and_the_documented_shapes() -> None:
    recs = {r["id"]: r for r in dns_records.dns_records("Mail.Example.com", "us", "scph0125", "MIGfKEY")}
    assert recs == {
        "dkim": {"id": "dkim", "type": "TXT", "name": "scph0125._domainkey.mail.example.com",
                 "value": "v=DKIM1; k=rsa; h=sha256; p=MIGfKEY", "purpose": dns_records.DKIM_PURPOSE},
        "bounce_cname": {"id": "bounce_cname", "type": "CNAME", "name": "mail.example.com",
                         "value": "sparkpostmail.com", "purpose": dns_records.BOUNCE_PURPOSE},
    }


def test_ids_do_not_depend_on_values() -> None:
    a = dns_records.dns_records("mail.example.com", "us", "s1", "KEY1")
    b = dns_records.dns_records("mail.example.com", "us", "s2", "KEY2")
    assert [r["id"] for r in a] == [r["id"] for r in b]
    assert [r["value"] for r in a] != [r["value"] for r in b]


def test_eu_bounce_target_and_signing_domain() -> None:
    recs = {r["id"]: r for r in dns_records.dns_records("mail.example.eu", "eu", "s", "K", "Sign.Example.eu")}
    assert recs["bounce_cname"]["value"] == "eu.sparkpostmail.com"
    assert recs["dkim"]["name"] == "s._domainkey.sign.example.eu"


def test_no_dkim_record_without_a_key() -> None:
    assert [r["id"] for r in dns_records.dns_records("mail.example.com", "us", None, None)] == ["bounce_cname"]


def test_dkim_value_strips_pem_armour() -> None:
    pem = "-----BEGIN PUBLIC KEY-----\nMIGf\nMA0G\n-----END PUBLIC KEY-----\n"
    assert dns_records.dkim_record_value(pem) == "v=DKIM1; k=rsa; h=sha256; p=MIGfMA0G"


def test_planned_records_keep_ids_known_while_the_key_is_not() -> None:
    recs = {r["id"]: r for r in dns_records.planned_dns_records("mail.example.com", "us", True, UNKNOWN, UNKNOWN, UNKNOWN)}
    assert set(recs) == {"dkim", "bounce_cname"}
    assert isinstance(recs["dkim"]["name"], Unknown) and isinstance(recs["dkim"]["value"], Unknown)
    assert recs["dkim"]["type"] == "TXT" and recs["bounce_cname"]["value"] == "sparkpostmail.com"
    known = dns_records.planned_dns_records("mail.example.com", "us", True, "s", "K", "mail.example.com")
    assert known == dns_records.dns_records("mail.example.com", "us", "s", "K")
    assert [r["id"] for r in dns_records.planned_dns_records("mail.example.com", "us", False, None, None, None)] == ["bounce_cname"]


@pytest.mark.parametrize(
    ("status", "ready"),
    [({"cname_status": "valid"}, True), ({"mx_status": "valid"}, True),
     ({"cname_status": "invalid", "mx_status": "pending"}, False), (None, False)],
)
def test_bounce_ready(status: dict[str, str] | None, ready: bool) -> None:
    assert st.bounce_ready(status) is ready


def test_status_state_has_every_status_attribute() -> None:
    status = st.status_state(DomainStatus(dkim_status="invalid"))
    assert status["ownership_verified"] is False and status["dkim_status"] == "invalid"
    assert status["cname_status"] is None and list(status) == [n for n, _, _ in st.STATUS_FIELDS]


# ---------------------------------------------------------------- keys


def test_key_bits_and_pairs(pair: tuple[str, str]) -> None:
    private, public = pair
    assert dkim_keys.key_bits(public) == 1024
    assert dkim_keys.key_bits("not base64!") is None and dkim_keys.key_bits(None) is None
    assert dkim_keys.key_pair_problem(private, public) is None
    _, other = _pair()
    assert dkim_keys.key_pair_problem(private, other) == "The private and public keys do not belong together."
    assert "not an unencrypted RSA key" in dkim_keys.key_pair_problem(public, public)


def test_key_text_validator_accepts_pem_and_base64(pair: tuple[str, str]) -> None:
    _, public = pair
    pem = "-----BEGIN PUBLIC KEY-----\n" + "\n".join(public[i:i + 64] for i in range(0, len(public), 64)) + "\n-----END PUBLIC KEY-----"
    assert dkim_keys.key_text(public) is None and dkim_keys.key_text(pem) is None
    assert dkim_keys.normalise_key(pem) == public
    assert dkim_keys.key_text("%%%") is not None


# ---------------------------------------------------------------- validators


@pytest.mark.parametrize("name", ["mail.example.com", "Mail.Example.COM", "a-b.example.co.uk"])
def test_good_sending_domains(name: str) -> None:
    assert validators.sending_domain_name(name) is None


@pytest.mark.parametrize("name", ["not a domain", "localhost", "mail.example.com.", "mail.example.c0m", "1.2.3.4",
                                  "-bad.example.com", "x" * 64 + ".example.com"])
def test_bad_sending_domains(name: str) -> None:
    assert validators.sending_domain_name(name)


def test_key_length_selector_and_subaccount_validators() -> None:
    # sending-domains.apib "Key length range | 1024-4096 bits"
    assert all(dkim_keys.dkim_key_length(n) is None for n in (1024, 2048, 3072, 4096, 4096.0))
    for bad in (512, 1023, 4097, 2048.5, True):
        assert "between 1024 and 4096" in (dkim_keys.dkim_key_length(bad) or ""), bad
    assert dkim_keys.dkim_selector("scph0125") is None and dkim_keys.dkim_selector("sg_2026.a-b") is None
    assert dkim_keys.dkim_selector("-bad") and dkim_keys.dkim_selector("has space")
    assert validators.subaccount_id_text("0") is None and validators.subaccount_id_text("12") is None
    assert validators.subaccount_id_text("-1") and validators.subaccount_id_text("1.5") and validators.subaccount_id_text("07")


# ---------------------------------------------------------------- durations


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("5m", 300), ("1h30m", 5400), ("1.5m", 90), ("500ms", 0.5)])
def test_durations(text: str, seconds: float) -> None:
    assert generic.parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "5", "forever", "5 m", "m5", "-5s"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        generic.parse_duration(text)


def test_duration_bounds() -> None:
    check = generic.duration_between(1, 7200)
    assert check("10m") is None
    assert check("3h") == "must be between 1s and 2h; got '3h'."
    assert check("500ms") == "must be between 1s and 2h; got '500ms'."
    assert "is not a duration" in check("soon")


# ---------------------------------------------------------------- import ids


def test_import_ids_round_trip() -> None:
    assert import_ids.parse_domain("mail.example.com") == (None, "mail.example.com")
    assert import_ids.parse_domain("12/Mail.Example.com") == (12, "Mail.Example.com")
    assert domain_ids.import_id(12, "mail.example.com") == "12/mail.example.com"
    assert domain_ids.import_id(None, "mail.example.com") == "mail.example.com"
    assert import_ids.parse_domain(domain_ids.import_id(0, "a.example.com")) == (0, "a.example.com")


@pytest.mark.parametrize("text", ["", "x/mail.example.com", "12/", "12/not a domain", "mail", " 12/mail.example.com",
                                  "012/mail.example.com", "\u0661/mail.example.com", "mail.\u212aelvin.example"])
def test_bad_import_ids(text: str) -> None:
    # (the Kelvin sign never arrives from Terraform, which NFC-normalises it to "K"; the parser
    # refuses it anyway)
    with pytest.raises(ResourceError) as err:
        import_ids.parse_domain(text)
    assert err.value.summary == "Invalid import ID for sparkpost_sending_domain"
    assert "SUBACCOUNT_ID/DOMAIN" in (err.value.detail or "")


def test_schema_pieces_describe_every_attribute() -> None:
    for attr in (st.status_attribute(), dns_records.dns_records_attribute()):
        assert attr.description and attr.computed
        assert attr.nested is not None and all(a.description for a in attr.nested.attributes)
    assert dns_records.dns_records_attribute().nested.nesting == "set"

"""ICAO Doc 9303-11 worked examples (Appendix D: BAC and secure messaging; Appendix G.1: PACE
ECDH generic mapping on brainpoolP256r1) reproduced byte for byte."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from emrtd import AccessDenied, bac, pace
from emrtd.apdu import Command
from emrtd.crypto import ENC, MAC, TDES
from emrtd.keys import MRZKey
from emrtd.security_infos import PACEInfo
from emrtd.sm import SecureChannel

H = bytes.fromhex

APPENDIX_D_KEY = MRZKey("L898902C", "690806", "940623")


def scripted(exchange: list[tuple[str, str]]) -> Callable[[bytes], bytes]:
    """A card that expects exactly these commands and gives these answers."""
    steps = iter(exchange)

    def transceive(apdu: bytes) -> bytes:
        expected, answer = next(steps)
        assert apdu.hex().upper() == expected.replace(" ", "")
        return H(answer.replace(" ", ""))

    return transceive


def test_bac_keys_derive_from_the_mrz_information_as_in_appendix_d2() -> None:
    assert APPENDIX_D_KEY.information == "L898902C<369080619406236"
    seed = bac.key_seed(APPENDIX_D_KEY)
    assert seed == H("239AB9CB282DAF66231DC5A4DF6BFBAE")
    assert TDES.kdf(seed, ENC) == H("AB94FDECF2674FDFB9B391F85D7F76F2")
    assert TDES.kdf(seed, MAC) == H("7962D9ECE03D1ACD4C76089DCE131543")


def test_bac_exchange_of_appendix_d3_gives_its_session_keys_and_ssc() -> None:
    card = scripted(
        [
            ("0084000008", "4608F91988702212 9000"),
            (
                "0082000028 72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2"
                "5F1448EEA8AD90A7 28",
                "46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F"
                "2F2D235D074D7449 9000",
            ),
        ]
    )
    channel = bac.authenticate(
        card,
        APPENDIX_D_KEY,
        rnd_ifd=H("781723860C06C226"),
        k_ifd=H("0B795240CB7049B01C19B33E32804F0B"),
    )
    assert channel.k_enc == H("979EC13B1CBFE9DCD01AB0FED307EAE5")
    assert channel.k_mac == H("F1CB1F1FB5ADF208806B89DC579DC1F8")
    assert channel.ssc == 0x887022120C06C226


def test_secure_messaging_example_of_appendix_d4_select_and_read_ef_com() -> None:
    channel = SecureChannel(
        TDES,
        H("979EC13B1CBFE9DCD01AB0FED307EAE5"),
        H("F1CB1F1FB5ADF208806B89DC579DC1F8"),
        0x887022120C06C226,
    )
    assert channel.wrap(Command(0x00, 0xA4, 0x02, 0x0C, H("011E"))) == H(
        "0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800"
    )
    response = channel.unwrap(H("990290008E08FA855A5D4C50A8ED9000"))
    assert (response.data, response.sw) == (b"", 0x9000)
    assert channel.wrap(Command(0x00, 0xB0, 0x00, 0x00, le=4)) == H(
        "0CB000000D9701048E08ED6705417E96BA5500"
    )
    response = channel.unwrap(H("8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000"))
    assert response.data == H("60145F01")
    assert channel.wrap(Command(0x00, 0xB0, 0x00, 0x04, le=0x12)) == H(
        "0CB000040D9701128E082EA28A70F3C7B53500"
    )
    response = channel.unwrap(
        H("871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000")
    )
    assert response.data == H("04303130365F36063034303030305C026175")
    assert channel.ssc == 0x887022120C06C22C


def test_a_tampered_protected_response_fails_its_mac() -> None:
    from emrtd import SecureMessagingError

    channel = SecureChannel(
        TDES,
        H("979EC13B1CBFE9DCD01AB0FED307EAE5"),
        H("F1CB1F1FB5ADF208806B89DC579DC1F8"),
        0x887022120C06C227,
    )
    with pytest.raises(SecureMessagingError, match="MAC"):
        channel.unwrap(H("990290008E08FA855A5D4C50A8EC9000"))


# -- Appendix G.1: PACE, ECDH generic mapping, brainpoolP256r1, AES-128 ----------------------
PK_MAP_IFD = (
    "047ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E"
    "544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D"
)
PK_MAP_IC = (
    "04824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F57"
    "30D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C54"
)
PK_DH_IFD = (
    "042DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C"
    "3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB36462"
)
PK_DH_IC = (
    "049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB"
    "7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094"
)
SK_MAP_IFD = 0x7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99
SK_DH_IFD = 0xA73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595
G1_KEY = MRZKey("T22000129", "640812", "101031")
G1_INFO = PACEInfo("0.4.0.127.0.7.2.2.4.2.2", 2, 13)


def test_pace_password_key_and_nonce_of_appendix_g1() -> None:
    assert G1_KEY.information == "T22000129364081251010318"
    assert G1_KEY.secret == H("7E2D2A41C74EA0B38CD36F863939BFA8E9032AAD")
    k_pi = pace.password_key(G1_INFO.suite, G1_KEY)
    assert k_pi == H("89DED1B26624EC1E634C1989302849DD")
    assert G1_INFO.suite.decrypt(k_pi, H("95A3A016522EE98D01E76CB6B98B42C3")) == H(
        "3F00C4D39D153F2B2A214A078D899B22"
    )


def test_pace_generic_mapping_gives_the_mapped_generator_of_appendix_g1() -> None:
    curve = G1_INFO.curve
    assert curve.encode(curve.mul(SK_MAP_IFD, curve.g)) == H(PK_MAP_IFD)
    h = curve.mul(SK_MAP_IFD, curve.decode(H(PK_MAP_IC)))
    assert curve.encode(h) == H(
        "0460332EF2450B5D247EF6D3868397D398852ED6E8CAF6FFEEF6BF85CA57057FD5"
        "0840CA7415BAF3E43BD414D35AA4608B93A2CAF3A4E3EA4E82C9C13D03EB7181"
    )
    mapped = curve.add(curve.mul(0x3F00C4D39D153F2B2A214A078D899B22, curve.g), h)
    assert curve.encode(mapped) == H(
        "048CED63C91426D4F0EB1435E7CB1D74A46723A0AF21C89634F65A9AE87A9265E2"
        "8C879506743F8611AC33645C5B985C80B5F09A0B83407C1B6A4D857AE76FE522"
    )


def g1_transcript(token_answer: str = "7C0A86083ABB9674BCE93C08 9000") -> list[tuple[str, str]]:
    return [
        ("0022C1A412800A04007F0007020204020283010184010D", "9000"),
        ("10860000027C0000", "7C12801095A3A016522EE98D01E76CB6B98B42C3 9000"),
        ("10860000457C438141" + PK_MAP_IFD + "00", "7C438241" + PK_MAP_IC + "9000"),
        ("10860000457C438341" + PK_DH_IFD + "00", "7C438441" + PK_DH_IC + "9000"),
        ("008600000C7C0A8508C2B0BD78D94BA86600", token_answer),
    ]


def test_pace_exchange_of_appendix_g1_byte_for_byte_with_its_session_keys() -> None:
    channel = pace.authenticate(
        scripted(g1_transcript()), G1_KEY, G1_INFO, ephemeral=iter([SK_MAP_IFD, SK_DH_IFD])
    )
    assert channel.k_enc == H("F5F0E35C0D7161EE6724EE513A0D9A7F")
    assert channel.k_mac == H("FE251C7858B356B24514B3BD5F4297D1")
    assert channel.ssc == 0


def test_a_wrong_chip_token_means_access_denied() -> None:
    with pytest.raises(AccessDenied, match="access denied: check the MRZ or CAN"):
        pace.authenticate(
            scripted(g1_transcript("7C0A86083ABB9674BCE93C09 9000")),
            G1_KEY,
            G1_INFO,
            ephemeral=iter([SK_MAP_IFD, SK_DH_IFD]),
        )


def test_a_chip_refusing_the_terminal_token_means_access_denied() -> None:
    with pytest.raises(AccessDenied, match="access denied"):
        pace.authenticate(
            scripted(g1_transcript("6300")),
            G1_KEY,
            G1_INFO,
            ephemeral=iter([SK_MAP_IFD, SK_DH_IFD]),
        )


def test_an_unprotected_success_under_secure_messaging_is_refused() -> None:
    from emrtd import SecureMessagingError

    channel = SecureChannel(TDES, bytes(16), bytes(16), 0)
    with pytest.raises(SecureMessagingError, match="without secure messaging"):
        channel.unwrap(H("9000"))
    assert channel.unwrap(H("6982")).sw == 0x6982

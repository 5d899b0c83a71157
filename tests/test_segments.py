import pytest

from targetsms_frames.segments import GSM7, UCS2, encoding, sms_parts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", (GSM7, 0)),
        ("a" * 160, (GSM7, 1)),
        ("a" * 161, (GSM7, 2)),
        ("a" * 306, (GSM7, 2)),
        ("a" * 307, (GSM7, 3)),
        ("€" * 80, (GSM7, 1)),  # 80 extension characters = 160 septets
        ("€" * 81, (GSM7, 2)),
        ("{" + "a" * 159, (GSM7, 2)),  # 161 septets
        ("Привет" * 11 + "Прив", (UCS2, 1)),  # 70 units
        ("П" * 71, (UCS2, 2)),
        ("П" * 134, (UCS2, 2)),
        ("П" * 135, (UCS2, 3)),
        ("Hello 😀", (UCS2, 1)),  # a surrogate pair counts two units
        ("😀" * 35, (UCS2, 1)),
        ("😀" * 36, (UCS2, 2)),
    ],
)
def test_parts(text, expected):
    assert sms_parts(text) == expected


def test_escape_pair_is_never_split():
    # 152 basic septets then an extension character: the pair would straddle the
    # 153-septet boundary, so it moves to the next part.
    text = "a" * 152 + "€" + "a" * 10
    assert sms_parts(text) == (GSM7, 2)
    text = "a" * 152 + "€" + "a" * 152  # 152 | 2 + 152 = 154 → a third part
    assert sms_parts(text) == (GSM7, 3)
    assert sms_parts("a" * 153 + "a" * 153) == (GSM7, 2)


def test_surrogate_pair_is_never_split():
    text = "П" * 66 + "😀" + "П" * 66  # 66 | 2 + 66 = 68 > 67 → three parts
    assert sms_parts(text) == (UCS2, 3)
    assert sms_parts("П" * 67 + "П" * 67) == (UCS2, 2)


def test_encoding():
    assert encoding("Hello {world} €5") == GSM7
    assert encoding("Hello, Мир") == UCS2
    assert encoding("naïve") == UCS2  # ï is not in GSM 03.38


def test_the_vectorized_count_agrees_with_the_scalar_one():
    import random

    from targetsms_frames.segments import sms_parts_many

    rng = random.Random(1)
    alphabet = "abc {}€[]\\^~|\fÄÖ@£Привет😀"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 400))) for _ in range(2000)]
    texts += ["a" * 153 * 3, "€" * 77, "Ы" * 67 * 2, None]
    encodings, parts = sms_parts_many(texts)
    expected = [sms_parts(t) if t is not None else (None, None) for t in texts]
    assert list(zip(encodings, parts, strict=True)) == expected

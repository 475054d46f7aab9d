import numpy as np
import pytest

from gsattn.seq import (
    PAD_TOKEN,
    decode,
    encode,
    gc_fraction,
    one_hot,
    pad_tokens,
    reverse_complement,
)


def test_encode_acgtn_and_lowercase():
    assert encode("ACGTN").tolist() == [0, 1, 2, 3, 4]
    assert encode("acgtn").tolist() == [0, 1, 2, 3, 4]


def test_encode_rejects_other_letters():
    with pytest.raises(ValueError, match="'R' at position 2"):
        encode("ACRT")


def test_one_hot_of_acgtn_is_exact():
    expected = np.array(
        [[1, 0, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 1, 0]], dtype=np.float32
    )
    np.testing.assert_array_equal(one_hot(encode("ACGTN")), expected)
    assert one_hot(np.array([[PAD_TOKEN]])).sum() == 0


def test_reverse_complement():
    assert reverse_complement("AACGTN") == "NACGTT"
    assert reverse_complement(reverse_complement("GATTACA")) == "GATTACA"


def test_pad_and_decode():
    padded = pad_tokens(encode("ACG"), 5)
    assert padded.tolist() == [0, 1, 2, PAD_TOKEN, PAD_TOKEN]
    assert decode(padded) == "ACG--"
    with pytest.raises(ValueError):
        pad_tokens(encode("ACGT"), 3)


def test_gc_fraction_ignores_n():
    assert gc_fraction(encode("GCNNAT")) == 0.5
    assert np.isnan(gc_fraction(encode("NNN")))

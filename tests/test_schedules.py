"""Tests for mmagic_asgan.schedules."""
import math

import pytest

from mmagic_asgan.schedules import EpsilonSchedule


def test_constant_with_warmup_and_window():
    s = EpsilonSchedule(begin=10, end=100, warmup_iters=4)
    assert [s(i) for i in (0, 9, 10, 11, 13, 14, 99, 100)] == [0, 0, 0.25, 0.5, 1, 1, 1, 0]


def test_linear_and_cosine_decay():
    lin = EpsilonSchedule('linear', end=100, final_ratio=0.2)
    assert lin(0) == 1.0 and math.isclose(lin(50), 0.6) and lin(100) == 0.0
    cos = EpsilonSchedule('cosine', end=100)
    assert cos(0) == 1.0 and math.isclose(cos(50), 0.5)
    assert math.isclose(cos(99), 0.5 * (1 + math.cos(math.pi * 0.99)))


def test_bind_sets_missing_end():
    s = EpsilonSchedule('linear')
    with pytest.raises(RuntimeError, match='needs an end'):
        s(0)
    s.bind(max_iters=10)
    assert s(5) == 0.5


@pytest.mark.parametrize('kwargs,field', [
    (dict(type='step'), 'type'), (dict(begin=-1), 'begin'), (dict(begin=5, end=5), 'end'),
    (dict(warmup_iters=-2), 'warmup_iters'), (dict(final_ratio=1.5), 'final_ratio')])
def test_bad_fields_name_the_field(kwargs, field):
    with pytest.raises(ValueError, match=f'schedule.{field}'):
        EpsilonSchedule(**kwargs)

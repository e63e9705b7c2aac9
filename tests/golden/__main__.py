from tests.golden import regenerate

regenerate()

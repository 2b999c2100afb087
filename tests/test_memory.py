import sys

import pytest

from meta_lightning.memory import release_freed


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_freed_memory_is_handed_back_on_linux():
    assert release_freed() is True

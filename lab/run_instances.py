"""Several MMEngine runs in one process without sharing a logger or log folder.

MMEngine names a run's logger, message hub and visualizer ``<config name>_<second
the runner was built>`` and hands an existing instance of that name back instead
of building one. Two runs of one config file built within the same second in one
process (tiny runs in tests, the GPU check's cells) therefore share them: the
second run logs into the first run's folder, and fails if that folder is gone.
"""
from contextlib import contextmanager
from typing import Dict, Iterator, List, Set, Type


def _managed_classes() -> List[Type]:
    from mmengine.utils import ManagerMixin
    found, todo = [], [ManagerMixin]
    while todo:
        cls = todo.pop()
        subclasses = cls.__subclasses__()
        found.extend(subclasses)
        todo.extend(subclasses)
    return found


@contextmanager
def run_instances_dropped() -> Iterator[None]:
    """Runs the block, then forgets the named loggers, message hubs and
    visualizers it created (a logger's files are closed). Objects still held
    (``runner.message_hub``, ``runner.logger``) keep working; only lookups by
    name, such as the next runner's, no longer find them."""
    before: Dict[Type, Set[str]] = {cls: set(cls._instance_dict) for cls in _managed_classes()}
    try:
        yield
    finally:
        for cls in _managed_classes():
            for name in set(cls._instance_dict) - before.get(cls, set()):
                instance = cls._instance_dict.pop(name)
                for handler in getattr(instance, 'handlers', [])[:]:
                    if hasattr(handler, 'baseFilename'):  # a log file: close it
                        handler.close()
                        instance.removeHandler(handler)

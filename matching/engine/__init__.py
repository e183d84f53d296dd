"""The matching engine: pure Python (NumPy, SciPy, jieba); nothing here imports Django."""

from .config import COMPONENTS, EngineConfig
from .core import MatchingEngine, RankedPairs
from .explain import Reason
from .records import AchievementRecord, Geography, NeedRecord, Taxonomy

__all__ = [
    "COMPONENTS",
    "AchievementRecord",
    "EngineConfig",
    "Geography",
    "MatchingEngine",
    "NeedRecord",
    "RankedPairs",
    "Reason",
    "Taxonomy",
]

from .progress import ScanProgress

__all__ = ["ScanProgress"]

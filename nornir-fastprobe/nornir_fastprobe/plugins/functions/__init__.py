from .write_back import write_back

__all__ = ["write_back"]

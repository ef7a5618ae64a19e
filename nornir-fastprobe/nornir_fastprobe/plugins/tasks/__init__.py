from .service_scan import service_scan

__all__ = ["service_scan"]

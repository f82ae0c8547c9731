"""zgen: turn Postman collections into typed Python client packages."""

__version__ = "0.1.0"

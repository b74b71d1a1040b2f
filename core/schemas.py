from ninja import Schema
from pydantic import ConfigDict


class StrictSchema(Schema):
    """Input schemas reject unknown fields, so a typo is an error and not silently ignored."""

    model_config = ConfigDict(extra="forbid")

"""A Python function of the user's own, for tests/test_udfs.py: a risk score from an amount and a country."""

from pyflink.table import DataTypes
from pyflink.table.udf import udf


@udf(result_type=DataTypes.DOUBLE())
def risk_score(amount: float, country: str) -> float:
    return amount * (2.0 if country != "DE" else 1.0)

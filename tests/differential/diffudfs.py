"""Python functions of the user's own that the differential test's specs declare (``specgen.UDFS``).

Flink's planner asks the PyFlink client process for a Python function's result type, so this module is imported
in the planning process (the test puts this folder on its path and ships the file with ``python.files``); no
Python worker runs while planning.
"""

from pyflink.table import DataTypes
from pyflink.table.udf import udf


@udf(result_type=DataTypes.DOUBLE())
def py_score(amount: float, country: str) -> float:
    return amount * (2.0 if country != "DE" else 1.0)


@udf(result_type=DataTypes.STRING())
def py_label(text: str) -> str:
    return (text or "").strip().lower()


@udf(result_type=DataTypes.INT())
def py_bucket(n: int) -> int:
    return int(n or 0) // 10


@udf(result_type=DataTypes.BOOLEAN())
def py_flag(x: float) -> bool:
    return x is not None and x > 100

"""The Python function of recipe 30 ("Extending SQL with Python UDFs"): missing temperatures filled in.

A vectorised (pandas) function: Flink hands it a batch of rows as columns; within the batch each city's missing
readings are interpolated linearly from its neighbours, in both directions so a batch's first or last row is
filled too. `bench/recipes/30_python_udfs.pgl` declares it; `validate --engine flink` imports this module from
beside the spec to learn its types.
"""

import pandas as pd
from pyflink.table import DataTypes
from pyflink.table.udf import udf


@udf(result_type=DataTypes.FLOAT(), func_type="pandas")
def interpolate(city: pd.Series, temperature: pd.Series) -> pd.Series:
    readings = pd.DataFrame({"city": city, "temperature": temperature})
    return readings.groupby("city")["temperature"].transform(lambda t: t.interpolate(limit_direction="both"))

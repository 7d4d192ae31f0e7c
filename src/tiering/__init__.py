import warnings

__version__ = "0.1.0"

# pandera imports pyspark.pandas whenever PySpark is installed (the Spark engine needs it), and
# pyspark.pandas warns that it does not support pandas 3. We never use pyspark.pandas; the
# warning would only reach users' terminals.
warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas",
                        category=FutureWarning)

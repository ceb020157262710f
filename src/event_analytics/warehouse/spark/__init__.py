"""The Spark backend's parts: the session (`session`), the tables' layout (`layout`) and the load
of landed files on the executors (`ingest`). `warehouse.spark_backend` puts them together as a
`Warehouse`; nothing else imports PySpark."""

